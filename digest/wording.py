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
