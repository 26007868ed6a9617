"""The words of a digest in the language of a profile's headings: English, French or Arabic.

Phrases are looked up by their English text, with `{name}` fields filled in after the lookup;
a phrase missing from a language falls back to English. Dates use the month and day names of
the language (strftime's come from the process locale, which a server should not depend on).
Feed text (titles, snippets, source names) is never translated: it is shown as written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

Language = Literal["en", "fr", "ar"]

PHRASES: dict[str, dict[str, str]] = {
    "Security digest": {"fr": "Bulletin de sécurité", "ar": "النشرة الأمنية"},
    "SECURITY DIGEST": {"fr": "BULLETIN DE SÉCURITÉ", "ar": "النشرة الأمنية"},
    "Early warning": {"fr": "Alerte précoce", "ar": "إنذار مبكر"},
    "EARLY WARNING": {"fr": "ALERTE PRÉCOCE", "ar": "إنذار مبكر"},
    "Reports published {start} to {end} ({zone}); {count} reports read.": {
        "fr": "Articles publiés du {start} au {end} ({zone}) ; {count} articles lus.",
        "ar": "التقارير المنشورة من {start} إلى {end} ({zone})؛ قُرئ منها {count}.",
    },
    "Reviewer's note:": {"fr": "Note du relecteur :", "ar": "ملاحظة المراجع:"},
    "first seen {when}": {"fr": "signalé le {when}", "ar": "أول ظهور {when}"},
    "updated {when}": {"fr": "mis à jour le {when}", "ar": "آخر تحديث {when}"},
    "1 source": {"fr": "1 source", "ar": "مصدر واحد"},
    "{count} sources": {"fr": "{count} sources", "ar": "{count} مصادر"},
    "new": {"fr": "nouveau", "ar": "جديد"},
    "updated": {"fr": "mis à jour", "ar": "محدَّث"},
    "none": {"fr": "aucune", "ar": "لا شيء"},
    "low": {"fr": "faible", "ar": "منخفضة"},
    "moderate": {"fr": "modérée", "ar": "متوسطة"},
    "high": {"fr": "élevée", "ar": "مرتفعة"},
    "critical": {"fr": "critique", "ar": "حرجة"},
    "{count} killed": {"fr": "{count} tué(s)", "ar": "{count} قتيل"},
    "{count} injured": {"fr": "{count} blessé(s)", "ar": "{count} جريح"},
    "1 incident": {"fr": "1 incident", "ar": "حادث واحد"},
    "{count} incidents": {"fr": "{count} incidents", "ar": "{count} حوادث"},
    ", {count} in {place}": {"fr": ", dont {count} à {place}", "ar": "، منها {count} في {place}"},
    " ({times}x its {days}-day average)": {
        "fr": " ({times} fois sa moyenne sur {days} jours)",
        "ar": " ({times} أضعاف معدله في {days} أيام)",
    },
    " (none in the {days} days before)": {
        "fr": " (aucun les {days} jours précédents)",
        "ar": " (لا شيء في الأيام {days} السابقة)",
    },
    "1 early warning": {"fr": "1 alerte précoce", "ar": "إنذار مبكر واحد"},
    "{count} early warnings": {"fr": "{count} alertes précoces", "ar": "{count} إنذارات مبكرة"},
    ", evacuation in {places}": {"fr": ", évacuation à {places}", "ar": "، إخلاء في {places}"},
    " and ": {"fr": " et ", "ar": " و"},
    "No reports were received in this window: check that the sources are being read.": {
        "fr": "Aucun article reçu sur cette période : vérifiez que les sources sont lues.",
        "ar": "لم يصل أي تقرير في هذه الفترة: تحقّق من أن المصادر تُقرأ.",
    },
    "Quiet day: no incident above the profile's threshold was reported.": {
        "fr": "Journée calme : aucun incident au-dessus du seuil du profil.",
        "ar": "يوم هادئ: لم يُبلَّغ عن أي حادث فوق عتبة هذا الملف.",
    },
    "Nothing above this profile's threshold was reported in the window.": {
        "fr": "Rien au-dessus du seuil de ce profil n'a été signalé sur la période.",
        "ar": "لم يُبلَّغ عن شيء فوق عتبة هذا الملف خلال الفترة.",
    },
    "Sent late: this digest was due at {due} and went out at {sent}.": {
        "fr": "Envoyé en retard : ce digest était prévu à {due} et est parti à {sent}.",
        "ar": "أُرسل متأخراً: كان موعد هذا الموجز {due} وأُرسل في {sent}.",
    },
    "confirmed by {count} independent sources, best tier {tier}": {
        "fr": "confirmé par {count} sources indépendantes, meilleur niveau {tier}",
        "ar": "أكّدته {count} مصادر مستقلة، أفضلها من الفئة {tier}",
    },
    "{source}: no longer read ({reason})": {
        "fr": "{source} : n'est plus lue ({reason})",
        "ar": "{source}: لم يعد يُقرأ ({reason})",
    },
    "{source}: failing since {since} ({reason}; {count} attempts)": {
        "fr": "{source} : en échec depuis le {since} ({reason} ; {count} tentatives)",
        "ar": "{source}: متعطّل منذ {since} ({reason}؛ {count} محاولات)",
    },
    "{source}: no report yet": {
        "fr": "{source} : aucun article pour l'instant",
        "ar": "{source}: لم يصل منه أي تقرير بعد",
    },
    "{source}: silent since {since}": {
        "fr": "{source} : muette depuis le {since}",
        "ar": "{source}: صامت منذ {since}",
    },
    "SOURCE HEALTH": {"fr": "ÉTAT DES SOURCES", "ar": "حالة المصادر"},
    "Source health": {"fr": "État des sources", "ar": "حالة المصادر"},
    "[source health] {source} failed {count} times in a row: {reason}": {
        "fr": "[état des sources] {source} a échoué {count} fois de suite : {reason}",
        "ar": "[حالة المصادر] فشل {source} {count} مرات متتالية: {reason}",
    },
    "[source health] {source} is gone and no longer read: {reason}": {
        "fr": "[état des sources] {source} a disparu et n'est plus lue : {reason}",
        "ar": "[حالة المصادر] {source} لم يعد موجودًا ولم يعد يُقرأ: {reason}",
    },
    "[source health] {source} works again": {
        "fr": "[état des sources] {source} fonctionne à nouveau",
        "ar": "[حالة المصادر] {source} يعمل من جديد",
    },
    "{source} has failed {count} times in a row since {since}.": {
        "fr": "{source} a échoué {count} fois de suite depuis le {since}.",
        "ar": "فشل {source} {count} مرات متتالية منذ {since}.",
    },
    "It is retried with growing pauses; digests list it until it works again.": {
        "fr": "Elle est réessayée à intervalles croissants ; les bulletins la signalent d'ici là.",
        "ar": "تُعاد المحاولة على فترات متزايدة، وتذكره النشرات إلى أن يعمل من جديد.",
    },
    "{source} answered that it is gone for good and is no longer read.": {
        "fr": "{source} a répondu qu'elle n'existe plus ; elle n'est plus lue.",
        "ar": "أجاب {source} بأنه لم يعد موجودًا، ولم يعد يُقرأ.",
    },
    "Remove it from the configuration or give it a new URL.": {
        "fr": "Retirez-la de la configuration ou donnez-lui une nouvelle URL.",
        "ar": "احذفه من الإعدادات أو أعطه عنوانًا جديدًا.",
    },
    "{source} works again after failing since {since}.": {
        "fr": "{source} fonctionne à nouveau après des échecs depuis le {since}.",
        "ar": "عاد {source} إلى العمل بعد تعطّل منذ {since}.",
    },
    "URL": {"fr": "URL", "ar": "العنوان"},
    "Last error": {"fr": "Dernière erreur", "ar": "آخر خطأ"},
    "Last success": {"fr": "Dernier succès", "ar": "آخر نجاح"},
    "never": {"fr": "jamais", "ar": "أبدًا"},
    "Other sources to check:": {
        "fr": "Autres sources à vérifier :",
        "ar": "مصادر أخرى تحتاج إلى تحقّق:",
    },
    "READY FOR REVIEW": {"fr": "À RELIRE", "ar": "جاهزة للمراجعة"},
    "Ready for review": {"fr": "À relire", "ar": "جاهزة للمراجعة"},
    "[review] {profile}, digest of {day}: ready for review until {due}": {
        "fr": "[relecture] {profile}, bulletin du {day} : à relire jusqu'à {due}",
        "ar": "[مراجعة] {profile}، نشرة {day}: جاهزة للمراجعة حتى {due}",
    },
    "The digest of {profile} for {day} is assembled and waits for review.": {
        "fr": "Le bulletin de {profile} du {day} est assemblé et attend une relecture.",
        "ar": "نشرة {profile} ليوم {day} جاهزة وتنتظر المراجعة.",
    },
    "It goes out at {due}, as the reviewers leave it.": {
        "fr": "Il part à {due}, tel que les relecteurs le laissent.",
        "ar": "تُرسل في {due} كما يتركها المراجعون.",
    },
    "Early warnings": {"fr": "Alertes précoces", "ar": "إنذارات مبكرة"},
    "Incidents": {"fr": "Incidents", "ar": "حوادث"},
    "The reviewer's desk": {"fr": "Le bureau de relecture", "ar": "مكتب المراجعة"},
    "in the archive": {"fr": "dans les archives", "ar": "في الأرشيف"},
    "Sent by digest to the reviewers of [web].": {
        "fr": "Envoyé par digest aux relecteurs de [web].",
        "ar": "أرسله digest إلى المراجعين المذكورين في [web].",
    },
    "Sent by digest to the operators of [source_health].": {
        "fr": "Envoyé par digest aux opérateurs de [source_health].",
        "ar": "أرسله digest إلى المشغّلين المذكورين في [source_health].",
    },
    "`digest sources list` shows every source.": {
        "fr": "`digest sources list` montre toutes les sources.",
        "ar": "يعرض `digest sources list` كل المصادر.",
    },
    "What changed": {"fr": "Ce qui a changé", "ar": "ما الذي تغيّر"},
    "WHAT CHANGED": {"fr": "CE QUI A CHANGÉ", "ar": "ما الذي تغيّر"},
    "New incidents in this window against the daily averages of the 7 and 28 days before.": {
        "fr": "Nouveaux incidents de la période, comparés aux moyennes quotidiennes des 7 et "
        "28 jours précédents.",
        "ar": "الحوادث الجديدة في هذه الفترة مقارنة بالمعدلات اليومية للأيام 7 و28 السابقة.",
    },
    "District": {"fr": "Caza", "ar": "القضاء"},
    "New": {"fr": "Nouveaux", "ar": "جديدة"},
    "7-day average": {"fr": "Moyenne 7 j", "ar": "معدل 7 أيام"},
    "28-day average": {"fr": "Moyenne 28 j", "ar": "معدل 28 يومًا"},
    "7d": {"fr": "7 j", "ar": "7 أيام"},
    "28d": {"fr": "28 j", "ar": "28 يومًا"},
    "newly affected": {"fr": "nouvellement touché", "ar": "متأثر حديثًا"},
    "quiet after activity": {"fr": "calme après activité", "ar": "هادئ بعد نشاط"},
    "rising": {"fr": "en hausse", "ar": "في ارتفاع"},
    "newly affected: {places}": {
        "fr": "nouvellement touchés : {places}",
        "ar": "مناطق متأثرة حديثًا: {places}",
    },
    "quiet after activity: {places}": {
        "fr": "calmes après activité : {places}",
        "ar": "هادئة بعد نشاط: {places}",
    },
    " and {count} more": {"fr": " et {count} autres", "ar": " و{count} غيرها"},
    "Evacuation orders": {"fr": "Ordres d'évacuation", "ar": "أوامر الإخلاء"},
    "EVACUATION ORDERS": {"fr": "ORDRES D'ÉVACUATION", "ar": "أوامر الإخلاء"},
    "1 evacuation order": {"fr": "1 ordre d'évacuation", "ar": "أمر إخلاء واحد"},
    "{count} evacuation orders": {
        "fr": "{count} ordres d'évacuation",
        "ar": "{count} أوامر إخلاء",
    },
    ": {places}": {"fr": " : {places}", "ar": ": {places}"},
    "1 order expired": {"fr": "1 ordre expiré", "ar": "انتهى أمر واحد"},
    "{count} orders expired": {"fr": "{count} ordres expirés", "ar": "انتهت {count} أوامر"},
    "issuer not stated": {"fr": "émetteur non précisé", "ar": "الجهة المصدرة غير مذكورة"},
    "issued {when}": {"fr": "émis le {when}", "ar": "صدر {when}"},
    "north of the {feature}": {"fr": "au nord du {feature}", "ar": "شمال {feature}"},
    "south of the {feature}": {"fr": "au sud du {feature}", "ar": "جنوب {feature}"},
    "east of the {feature}": {"fr": "à l'est du {feature}", "ar": "شرق {feature}"},
    "west of the {feature}": {"fr": "à l'ouest du {feature}", "ar": "غرب {feature}"},
    "keep at least {distance} away": {
        "fr": "s'éloigner d'au moins {distance}",
        "ar": "الابتعاد مسافة لا تقل عن {distance}",
    },
    "Still in force (issued in the {days} days before):": {
        "fr": "Toujours en vigueur (émis dans les {days} jours précédents) :",
        "ar": "ما زالت سارية (صدرت في الأيام {days} السابقة):",
    },
    "Expired:": {"fr": "Expirés :", "ar": "انتهت:"},
    "evacuation order {when}": {"fr": "ordre d'évacuation {when}", "ar": "أمر إخلاء {when}"},
    "Sources to check": {"fr": "Sources à vérifier", "ar": "مصادر تحتاج إلى تحقّق"},
    "SOURCES TO CHECK": {"fr": "SOURCES À VÉRIFIER", "ar": "مصادر تحتاج إلى تحقّق"},
    "This digest may miss reports from these sources.": {
        "fr": "Ce bulletin peut manquer des articles de ces sources.",
        "ar": "قد تفوت هذه النشرة تقارير من هذه المصادر.",
    },
    "single source, tier {tier}": {
        "fr": "source unique, niveau {tier}",
        "ar": "مصدر واحد من الفئة {tier}",
    },
    "Quiet days are worth knowing too.": {
        "fr": "Les jours calmes sont bons à savoir aussi.",
        "ar": "الأيام الهادئة تستحق المعرفة أيضاً.",
    },
    "{count} more stories of lower severity did not fit in this email; the archive has them all.": {
        "fr": "{count} autres événements moins graves ne tenaient pas dans ce courriel ; "
        "l'archive les a tous.",
        "ar": "لم يتّسع هذا البريد لـ{count} أحداث أخرى أقل خطورة؛ تجدها كلها في الأرشيف.",
    },
    "Built by digest from public feeds.": {
        "fr": "Produit par digest à partir de flux publics.",
        "ar": "أعدّه digest من مصادر عامة.",
    },
    "Severity: low, moderate, high, critical.": {
        "fr": "Gravité : faible, modérée, élevée, critique.",
        "ar": "الخطورة: منخفضة، متوسطة، مرتفعة، حرجة.",
    },
    "Places: OCHA P-codes; gazetteer from GeoNames (CC BY) and UN OCHA.": {
        "fr": "Lieux : P-codes OCHA ; répertoire GeoNames (CC BY) et OCHA.",
        "ar": "الأماكن: رموز OCHA؛ معجم الأماكن من GeoNames (CC BY) وOCHA.",
    },
    "Security digest {profile}, {day}: {summary}": {
        "fr": "Bulletin de sécurité {profile}, {day} : {summary}",
        "ar": "النشرة الأمنية {profile}، {day}: {summary}",
    },
    "Place not stated": {"fr": "Lieu non précisé", "ar": "مكان غير محدد"},
    # alert notices
    "[alert {rule}] {title}": {"fr": "[alerte {rule}] {title}", "ar": "[تنبيه {rule}] {title}"},
    "[alert {rule}] {count} alerts, highest severity {level}": {
        "fr": "[alerte {rule}] {count} alertes, gravité maximale {level}",
        "ar": "[تنبيه {rule}] {count} تنبيهات، أعلى خطورة {level}",
    },
    "Alert {rule}": {"fr": "Alerte {rule}", "ar": "تنبيه {rule}"},
    "Held back by this rule's hourly limit or quiet hours, then sent together.": {
        "fr": "Retenues par la limite horaire ou les heures calmes de cette règle, "
        "puis envoyées ensemble.",
        "ar": "أُرجئت بسبب الحد الساعي لهذه القاعدة أو ساعات الهدوء، ثم أُرسلت معاً.",
    },
    "severity rose": {"fr": "gravité en hausse", "ar": "ارتفاع الخطورة"},
    "Matched {reasons} in “{title}” ({source}).": {
        "fr": "Correspondance : {reasons}, dans « {title} » ({source}).",
        "ar": "طابقت القاعدة {reasons} في «{title}» ({source}).",
    },
    "Sent by digest for the alert rule {rule}: {query}": {
        "fr": "Envoyé par digest pour la règle d'alerte {rule} : {query}",
        "ar": "أرسله digest لقاعدة التنبيه {rule}: {query}",
    },
    # categories (CONTRACTS section 3)
    "Air/drone strike": {"fr": "Frappe aérienne/de drone", "ar": "غارة جوية/بمسيّرة"},
    "Shelling": {"fr": "Bombardement", "ar": "قصف"},
    "Armed clash": {"fr": "Affrontement armé", "ar": "اشتباك مسلح"},
    "Explosion": {"fr": "Explosion", "ar": "انفجار"},
    "Unexploded ordnance": {"fr": "Engins non explosés", "ar": "ذخائر غير منفجرة"},
    "Attack on civilians": {"fr": "Attaque contre des civils", "ar": "اعتداء على مدنيين"},
    "Kidnapping": {"fr": "Enlèvement", "ar": "خطف"},
    "Protest": {"fr": "Manifestation", "ar": "احتجاج"},
    "Riot": {"fr": "Émeute", "ar": "أعمال شغب"},
    "Movement restriction": {"fr": "Restriction de circulation", "ar": "تقييد التنقل"},
    "Evacuation": {"fr": "Évacuation", "ar": "إخلاء"},
    "Displacement": {"fr": "Déplacement de population", "ar": "نزوح"},
    "Arrest": {"fr": "Arrestation", "ar": "اعتقال"},
    "Crime": {"fr": "Criminalité", "ar": "جريمة"},
    "Escalation": {"fr": "Escalade", "ar": "تصعيد"},
    "Natural hazard": {"fr": "Risque naturel", "ar": "خطر طبيعي"},
    "Health": {"fr": "Santé", "ar": "صحة"},
    "Infrastructure": {"fr": "Infrastructures", "ar": "بنى تحتية"},
}

MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    # the Levant's month names, as Lebanese and Syrian outlets write them
    "ar": [
        "كانون الثاني",
        "شباط",
        "آذار",
        "نيسان",
        "أيار",
        "حزيران",
        "تموز",
        "آب",
        "أيلول",
        "تشرين الأول",
        "تشرين الثاني",
        "كانون الأول",
    ],
}
DAYS = {
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
    "ar": "الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد".split(),
}


def say(text: str, language: str, **values: object) -> str:
    """The phrase in `language` (English when it has no translation), fields filled in."""
    phrase = PHRASES.get(text, {}).get(language, text) if language != "en" else text
    return phrase.format(**values) if values else phrase


def count(one: str, many: str, number: int, language: str) -> str:
    """ "1 source" or "3 sources", in the language."""
    return say(one, language) if number == 1 else say(many, language, count=number)


def date_text(moment: datetime, fmt: str, language: str) -> str:
    """strftime with the language's day and month names for %A %a %B %b."""
    if language == "en":
        return moment.strftime(fmt)
    day, month = DAYS[language][moment.weekday()], MONTHS[language][moment.month - 1]
    short_day = day if language == "ar" else day[:3] + "."
    short_month = month if language == "ar" or len(month) <= 4 else month[:4] + "."
    names = {"%A": day, "%a": short_day, "%B": month, "%b": short_month}
    for directive, name in names.items():
        fmt = fmt.replace(directive, name.replace("%", "%%"))
    return moment.strftime(fmt)
