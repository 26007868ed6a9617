#!/usr/bin/env python3
"""Build digest/signals/gazetteer/places.tsv from GeoNames and OCHA data, and check the hand-written
aliases.tsv and demonyms.tsv that sit next to it.

    python scripts/build_gazetteer.py [--shared ../shared/data/gazetteer] [--check]

--shared  folder holding geonames/LB.txt, geonames/admin1CodesASCII.txt and
          ocha/global_pcodes_adm_1_2.csv (default: ../shared/data/gazetteer, relative to the repo)
--check   build and validate everything but do not write places.tsv

What goes into places.tsv (see digest/signals/gazetteer/README.md for the columns):
- countries: hand-written below (COUNTRIES), English, French and Arabic names;
- Lebanon's 8 governorates and 26 districts (cazas) with OCHA P-codes and OCHA names;
- the SYR and PSE governorates from the OCHA list (P-codes), and the GeoNames admin-1 units of
  IL, JO, IQ, CY and IR (id admin1:<CC>.<code>), with hand-added French/Arabic names;
- every GeoNames populated place (feature class P) in Lebanon, plus a short, explicit list of other
  features that the news names (airport, ports, refugee camps, rivers, Mount Hermon, crossings);
- hand-written places GeoNames lacks (Shebaa Farms, Kfarchouba hills, Bab al-Tabbaneh...) and the
  main cities of the neighbours and of the wider region (id city:<CC>:<slug> / place:<CC>:<slug>).

Standard library only.  The script fails loudly (AssertionError / SystemExit) when an input does not
look as expected, when the caza mapping is incomplete, or when an alias points at a missing id.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import statistics
import sys
import unicodedata
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from digest.text import fold_plain

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "digest" / "signals" / "gazetteer"
DEFAULT_SHARED = REPO.parent / "shared" / "data" / "gazetteer"

COLUMNS = [
    "id",
    "level",
    "name",
    "country",
    "admin1",
    "admin1_pcode",
    "admin2",
    "admin2_pcode",
    "lat",
    "lon",
    "population",
    "names",
    "admin2_inferred",
]
INFER_NEIGHBOURS = 5
INFER_KM = 10.0
INFER_SHARE = 0.6
LEVEL_ORDER = {"country": 0, "admin1": 1, "admin2": 2, "locality": 3}

# --------------------------------------------------------------------------------------------
# GeoNames admin-1 codes for Lebanon -> OCHA adm1 P-codes.  The second value is a word that must
# occur in the (folded) OCHA name: a cheap check that the table and the OCHA file agree.
# --------------------------------------------------------------------------------------------
GN_ADMIN1_TO_PCODE: dict[str, tuple[str, str]] = {
    "04": ("LB1", "beirut"),
    "05": ("LB3", "mount lebanon"),
    "06": ("LB6", "south"),
    "07": ("LB4", "nabatieh"),
    "08": ("LB2", "bekaa"),
    "09": ("LB5", "north"),
    "10": ("LB7", "akkar"),
    "11": ("LB8", "baalbek"),
}

# --------------------------------------------------------------------------------------------
# OCHA adm2 P-code -> the GeoNames ADM2 ("Caza de ...") rows of LB.txt for that district.
# A locality's admin2 code in LB.txt is the geonameid of its caza.  GeoNames holds a few duplicate
# ADM2 rows (added later, English names); they map to the same P-code.  Beirut has no caza row:
# the Beirut governorate is a single district (LB11).
# ACLED names for reference: Rashayya, West Bekaa, Zahle, Aley, Baabda, Chouf, Jubayl, Keserwan,
# Al Matn, Bint Jbeil, Hasbeiya, Marjayoun, Nabatieh, Batroun, Bsharri, Koura, Miniyeh-Danniyeh,
# Tripoli, Zgharta, Saida, Jezzine, Tyre, Akkar, Baalbek, Hermel.
# --------------------------------------------------------------------------------------------
CAZA_TABLE: dict[str, tuple[int, ...]] = {
    "LB11": (),  # Beirut (no GeoNames ADM2 row)
    "LB21": (277129,),  # Caza de Baalbek
    "LB22": (279999,),  # Caza du Hermel
    "LB23": (268737,),  # Caza de Rachaïya
    "LB24": (280280,),  # Caza de la Beqâa-Ouest
    "LB25": (266042,),  # Caza de Zahleh
    "LB31": (280424,),  # Caza de Aaley
    "LB32": (277225,),  # Caza de Baabda
    "LB33": (278156,),  # Caza du Chouf
    "LB34": (273201,),  # Caza de Jbayl
    "LB35": (272300, 10119971),  # Caza du Kesrouane; Keserwan District
    "LB36": (279440, 7838967, 10119984),  # Caza du Matn; Metn District; Matn District
    "LB41": (276591,),  # Caza de Bent Jbaïl
    "LB42": (274311,),  # Caza de Hâsbaïya
    "LB43": (271225, 7646521),  # Caza de Marjayoûn; Marjayoun
    "LB44": (278915,),  # Caza de Nabatîyé
    "LB51": (280572,),  # Caza de Aakkâr
    "LB52": (280329,),  # Caza de Batroun
    "LB53": (276358,),  # Caza de Bécharré
    "LB54": (279676,),  # Caza de Koura
    # Caza de Miniyé-Danniyé; Miniyeh-Danniyeh; Minie-Denniyeh
    "LB55": (7735321, 10121424, 10126909),
    "LB56": (266825, 10121443),  # Caza de Trablous; Tripoli
    "LB57": (265845,),  # Caza de Zgharta
    "LB61": (7735345,),  # Caza de Saida
    "LB62": (273359,),  # Caza de Jezzîne
    "LB63": (267006,),  # Caza de Tyr
}

# --------------------------------------------------------------------------------------------
# The 2016 GeoNames extract gives almost no locality an admin2 code (1 of 3,651), so the caza of a
# locality is only known when (a) its governorate has a single district (Beirut -> LB11,
# Akkar -> LB51), or (b) it is listed here.  This table was written by hand for the places the
# news names most (district seats, the southern border strip, Dahiyeh, the Bekaa, main towns);
# each geonameid was looked up in LB.txt, and the script checks that the GeoNames governorate
# agrees with the district's and that no entry lies far from the district's other entries.
# Places not listed keep admin1 only.
# --------------------------------------------------------------------------------------------
LOCALITY_CAZA: dict[str, tuple[int, ...]] = {
    "LB21": (  # Baalbek
        277130,  # Baalbek
        273675,  # Arsal
        276380,  # Britel
        278875,  # En Nabi Chit
        275394,  # Douris
        276294,  # Boudai
        267305,  # Chmistar
        266091,  # Younine
        279662,  # Laboue
        268745,  # Ras Baalbek
        276616,  # Bednayel
        266706,  # Temnine et Tehta
        266707,  # Temnine el Faouqa
        273462,  # Jenta
        278972,  # El Yammoune
        275666,  # Deir el Ahmar
        273753,  # Iaat
        279268,  # Qaa
        280133,  # El Hadet
        266166,  # Wavel camp (S.CMPRF)
    ),
    "LB22": (  # El Hermel
        279997,  # Hermel
        279058,  # El Qasr
    ),
    "LB23": (  # Rachaya
        6253857,  # Rashaya
        268738,  # Rachaiya
        272836,  # Kfar Qouq
        266123,  # Yanta
        275665,  # Deir el Aachayer
        277810,  # Aaiha
        272844,  # Kfarmechki
        277535,  # Ain Aata
    ),
    "LB24": (  # West Bekaa
        273185,  # Joub Jannine
        267074,  # Sohmor
        270991,  # Machghara
        279120,  # El Qaraaoun
        272781,  # Kamed el Loz
        274931,  # Ghazze
        272148,  # Lala
        268424,  # Saghbine
        272384,  # Khirbet Qanafar
        279498,  # El Marj
        266092,  # Yohmor el Beqaa
        277367,  # Aaitanit
        269081,  # Lake Qaraoun (H.LK)
        269080,  # Qaraoun Dam (S.DAM)
    ),
    "LB25": (  # Zahle
        266045,  # Zahle
        267297,  # Chtaura
        269696,  # Qabb Elias
        276955,  # Barr Elias
        268661,  # Rayak
        268662,  # Rayak
        278925,  # Anjar
        271865,  # Majdel Aanjar
        268495,  # Saadnayel
        266920,  # Taalabaya
        280186,  # El Fourzol
        281020,  # Ablah
        279938,  # Ali en Nahri
        272800,  # Kfar Zabad
        269699,  # Qaa er Rim
        268934,  # Qoussaya
        275759,  # Darzaynun
        6274135,  # Deir Zenoun
        279459,  # Masnaa border crossing (S.PP)
    ),
    "LB31": (  # Aley
        280425,  # Aley
        278139,  # Choueifat
        279048,  # Haret el Amara
        279098,  # Haret el Qobbe
        280511,  # Haret el Aamroussiye
        276633,  # Bhamdoun
        276632,  # Bhamdoun el Mhatta
        267010,  # Souq el Gharb
        279823,  # Kahhale
        278682,  # Aaramoun
        276360,  # Bchamoun
        272635,  # Khaldah
        6274035,  # Khalde
        275592,  # Deir Qoubil
        272675,  # Kaifoun
        271860,  # Majdel Baana
    ),
    "LB32": (  # Baabda
        277226,  # Baabda
        274425,  # Haret Hreik
        6274948,  # Hadath Haret Hreik
        280148,  # Ghobeiry
        7838988,  # Ghobeiry
        276140,  # Burj al-Barajneh
        276139,  # Burj al-Barajneh camp (S.CMPRF)
        278159,  # Chiyah
        280134,  # Hadath
        6274951,  # Mraije
        7838994,  # Mreijeh
        6273709,  # Lailake
        267547,  # Shatila camp (S.CMPRF)
        278908,  # El Ouzaai
        6274921,  # El Ouzaai
        277643,  # Jnah
        276533,  # Bir Hassan
        266299,  # Ouadi Chahrour
        272819,  # Kfarchima
        280022,  # Hazmiye
        7838998,  # Hazmiyeh
        275158,  # Forn ech Chebbak
        267224,  # Sibnay
        276426,  # Bmariam
    ),
    "LB33": (  # Chouf
        276771,  # Beiteddine
        275655,  # Deir el Qamar
        280789,  # Damour
        279865,  # Ej Jiye
        7839314,  # Jiyeh
        276965,  # Barja
        267468,  # Chhim
        277021,  # Baaqline
        279330,  # El Moukhtara
        269935,  # Naamet el Faouqa
        7839998,  # Naameh
        280341,  # El Barouk
        272298,  # Ketermaya
        278112,  # Es Saadiyat
        279010,  # El Ouardaniye
        7839315,  # Wardaniye
        276913,  # Baassir
        7839982,  # Baasir
        280731,  # Ed Debbiye
        7870393,  # Jieh Power Plant (S.PS)
    ),
    "LB34": (  # Jbeil
        273203,  # Jbeil
        278944,  # Amchit
        269265,  # Qartaba
        280481,  # El Aaqoura
        279659,  # El Laqlouq
    ),
    "LB35": (  # Kesrwane
        273140,  # Jounieh
        6941107,  # Jounieh
        265750,  # Zouq Mkayel
        265749,  # Zouq Mosbeh
        274349,  # Harissa
        274939,  # Ghazir
        275308,  # Faraiya
        280602,  # Aajaltoun
        7870389,  # Zouk Power Plant (S.PS)
    ),
    "LB36": (  # El Meten
        279854,  # Jdeideh
        276125,  # Borj Hammoud
        267161,  # Sinn el Fil
        7838984,  # Sin el Fil
        280740,  # Ed Dekouane
        278792,  # Antelias
        273535,  # Jall Al Dieb
        277295,  # Ez Zalqa
        7838977,  # Zalqa
        276605,  # Bikfaiya
        276377,  # Broummana
        279267,  # El Fanar
        276704,  # Beit Meri
        276366,  # Bsalim
        280733,  # Dbaiye
        275472,  # Dbayeh camp (S.CMPRF)
        279545,  # El Mansouriyet
        278838,  # En Naqqach
        273300,  # Jisr al-Basha camp (S.CMPRF)
    ),
    "LB41": (  # Bent Jbeil
        276592,  # Bint Jbeil
        277366,  # Aitaroun
        277369,  # Aita al-Shaab
        266109,  # Yaroun
        271090,  # Maroun al-Ras
        268585,  # Rmeish
        275540,  # Debel
        277467,  # Ain Ebel
        277536,  # Ainata
        272236,  # Kounine
        268803,  # Ramiye
        277368,  # Aaita ez Zott
        274603,  # Hanine
        266714,  # Tebnine
        7869857,  # Tebnine
        266103,  # Yatar
        7869834,  # Yater
        274833,  # Haddatha
        7869858,  # Hadatha
        273161,  # Jmaijme
        7869859,  # Jmayjmeh
        7869874,  # Sribbine
        7869877,  # Ayta Al Jabal
        7869887,  # Khirbit Silim
        272904,  # Kafra
        276709,  # Beit Lif
        279138,  # Qaouzah
        6270857,  # Beit Yahoun
        275187,  # Froun
        275036,  # Ghandouriye
        276393,  # Baraachit
        267628,  # Chaqra
        268481,  # Safad el Battikh
        275598,  # Deir Ntar
        272886,  # Kfar Dounine
        268659,  # Rachaf
    ),
    "LB42": (  # Hasbaya
        274313,  # Hasbaya
        267447,  # Shebaa
        272816,  # Kfarchouba
        7869888,  # Kfarchouba
        272879,  # Kfar Hamam
        272249,  # Kfair ez Zait
        268735,  # Rachaiya el Foukhar
        272681,  # Kaoukaba
    ),
    "LB43": (  # Marjaayoun
        271226,  # Marjayoun
        279727,  # Khiam
        272849,  # Kfar Kila
        266560,  # Odaisseh
        273872,  # Houla
        270767,  # Mays al-Jabal
        6272103,  # Mays al-Jabal
        276429,  # Blida
        271215,  # Markaba
        277872,  # Et Taibe
        279091,  # Qlayaa
        275603,  # Deir Mimass
        6252293,  # Borj el Mlouk
        275585,  # Deir Siriane
        279216,  # Qantara
        277039,  # Beni Haiyane
        266874,  # Talloussa
        266634,  # Touline
        269680,  # Qabrikha
        434065,  # Qabrikha
        7869893,  # Aadchit El Qsair
        271859,  # Majdel Selm
        7869897,  # Majdel Silim
        7869953,  # Souane
        275544,  # Dibbine
        277122,  # Blat
    ),
    "LB44": (  # El Nabatieh
        278913,  # Nabatieh
        278914,  # Nabatieh al-Fawqa
        7870014,  # Nabatieh
        7869976,  # Kfar Tebnit
        7869972,  # Qaaqaait Ej Jisr
        278808,  # En Nmairiye
        272833,  # Kfar Roummane
        265894,  # Zaoutar ech Charqiye
        265895,  # Zaoutar el Gharbiye
        270782,  # Maifadoun
        6253964,  # Yohmor
        278538,  # Arnoun
        280704,  # Ed Douair
        274874,  # Habbouch
        273340,  # Jibchit
        278798,  # Insar
        265832,  # Zefta
        272812,  # Kfar Sir
        274333,  # Harouf
        265839,  # Zebdine
        267277,  # Choukine
        273452,  # Jarjouaa
        277432,  # Ain Qana
        278702,  # Aarab Salim
        272883,  # Kfar Fila
        279678,  # El Kfour
        273848,  # Houmine et Tahta
        273849,  # Houmine el Faouqa
        273358,  # Jbaa
        268584,  # Roumine
        280689,  # Aadchit
        269474,  # Beaufort Castle (S.ANS)
        267150,  # Sir el Gharbiye
    ),
    "LB52": (  # El Batroun
        280328,  # Batroun
        266833,  # Tannourine et Tahta
        266834,  # Tannourine el Faouqa
        6280494,  # Chekka
        267368,  # Chekka el Atiqa
        275414,  # Douma
        272863,  # Kfar Hilda
        279622,  # El Madfoun
    ),
    "LB53": (  # Bcharre
        276359,  # Bcharre
        274304,  # Hasroun
        269043,  # Qnat
        276644,  # Bazaoun
        274846,  # Hadet ej Jobbe
        276588,  # Bqaa Kafra
    ),
    "LB54": (  # El Koura
        278936,  # Amioun
        272176,  # Kousba
        272865,  # Kfar Hazir
        276317,  # Bterram
        278928,  # Enfe
    ),
    "LB55": (  # El Minieh-Dennie
        267156,  # Sir al-Dinniyeh
        279396,  # El Minie
        277146,  # Bakhaoun
        275649,  # Deir Aamar
    ),
    "LB56": (  # Tripoli
        266826,  # Tripoli
        279400,  # El Mina
        279096,  # El Qoubbe
        6275828,  # Abou Samra
    ),
    "LB57": (  # Zgharta
        265846,  # Zgharta
        273725,  # Ehden
        270350,  # Miziara
        278653,  # Arde
    ),
    "LB61": (  # Saida
        268064,  # Sidon
        277655,  # Ain al-Hilweh camp (S.CMPRF)
        270368,  # Mieh Mieh camp (S.CMPRF)
        7870025,  # Ghaziyeh
        280155,  # El Ghaziye
        7870015,  # Kaoutariyet Al Siyad
        7870016,  # Ghassaniyeh
        7870017,  # Maamriye
        7870022,  # Ansariyeh
        7870027,  # Arkey
        277305,  # Zahrani oil terminal (L.INDS)
        7870433,  # Zahrani Thermal Power Plant (S.PS)
        278040,  # Sarafand
        280696,  # Aadloun
        281014,  # Aabra
        271855,  # Mejdelyoun
        275779,  # Darb es Sim
        271937,  # Maghdouche
        280402,  # El Babliye
        272871,  # Kfar Hatta
        279075,  # El Qraiye
        279762,  # El Kharayeb
        276398,  # Bqosta
    ),
    "LB62": (  # Jezzine
        273360,  # Jezzine
        7851848,  # Kaitouly
        276461,  # Bisri
        268596,  # Roum
        272860,  # Kfar Houne
        270982,  # Machmouche
        267073,  # Sejoud
        278485,  # Rihane
        280417,  # El Aaichiye
        272102,  # Lebaa
        276445,  # Bkassine
        277313,  # Aazour
        279890,  # Ej Jarmaq
    ),
    "LB63": (  # Sour
        267008,  # Tyre
        278832,  # Naqoura
        279633,  # Aalma ech Chaab
        267815,  # Chamaa
        266113,  # Yarine
        271087,  # Marouahine
        280729,  # Ed Dhaira
        271854,  # Majdel Zoun
        266752,  # Tair Harfa
        269355,  # Qana
        281059,  # Aabbassiye
        267099,  # Srifa
        275596,  # Deir Qanoun en Nahr
        275597,  # Deir Qanoun
        271434,  # Maarake
        280287,  # El Bazouriye
        272960,  # Jouaiya
        279087,  # El Qlaile
        279547,  # El Mansouri
        266754,  # Tair Debbe
        267374,  # Chihine
        280292,  # El Biyada
        265833,  # Zebqine
        7870243,  # Zabqine
        279169,  # Qasmiye
        276121,  # Borj Rahhal
        276872,  # Batoulay
        276076,  # Boustane
        7870229,  # Jebbain
        7870235,  # El Kleile
        7870239,  # Siddiqine
        7870230,  # Mahrouneh
        7870231,  # Aaitit
        277364,  # Aatit
        7870030,  # Rmadiyeh
        7870031,  # Salaa
        7870032,  # Chahour
        7870228,  # Bourghliyeh
        7870248,  # Borj Al Chmali
        7870259,  # Tair Filsay
        268734,  # Rashidieh camp (S.CMPRF)
        276129,  # Burj al-Shemali camp (S.CMPRF)
        276077,  # El Buss camp (S.CMPRF)
        280005,  # El Henniye
        268784,  # Ras el Ain
        435505,  # Naqoura border post (S.PSTB)
    ),
}

# --------------------------------------------------------------------------------------------
# Which non-P GeoNames rows become localities: every row with one of these feature codes, plus the
# explicit ids below.
# --------------------------------------------------------------------------------------------
FEATURE_CODES = {"S.AIRP", "S.AIRB", "S.CMPRF", "L.PRT", "A.ADMD"}
FEATURE_IDS: dict[int, str] = {
    272089: "Litani river (Nahr el Litani)",
    277819: "Awali river",
    266036: "Zahrani river",
    272956: "Nahr el Kebir (northern border river)",
    303365: "Orontes river (Nahr el Aassi)",
    169612: "Mount Hermon (Jabal el Cheikh)",
    269474: "Beaufort castle (Qalaat esh Shqif)",
    279459: "El Masnaa (border post, Beirut-Damascus road)",
    435505: "Douane Libanaise (Naqoura border post)",
    6278342: "Ej Joumrok (customs post, Wadi Khaled)",
    277305: "Ez Zahrani (oil terminal)",
    7870433: "Zahrani thermal power plant",
    7870393: "Jiyeh power plant",
    7870389: "Zouk power plant",
    269081: "Lake Qaraoun",
    269080: "Qaraoun dam",
}
# GeoNames rows of those codes that are left out (duplicates or meaningless for the news).
FEATURE_EXCLUDE: set[int] = set()
# Governorate (and point) of features that GeoNames leaves without a Lebanese admin-1 code or places
# outside the country: (admin1 P-code, lat, lon); lat/lon None keeps GeoNames' point.  Features that
# span several governorates (Mount Hermon, the Awali) keep no admin-1.
FEATURE_ADMIN1: dict[int, tuple[str, float | None, float | None]] = {
    303365: ("LB8", 34.40, 36.39),  # Orontes: GeoNames' point is its mouth in Turkey; use the
    # Lebanese stretch near Hermel
    272956: ("LB7", None, None),  # Nahr el Kebir: the northern border river, in Akkar
}

# Display names (and extra matchable names) for localities whose GeoNames name is not the form the
# press uses.  The display name is always added to the row's names.
DISPLAY_NAMES: dict[int, str] = {
    276781: "Beirut",
    268064: "Sidon",
    267008: "Tyre",
    266826: "Tripoli",
    266045: "Zahle",
    277130: "Baalbek",
    279997: "Hermel",
    278913: "Nabatieh",
    278914: "Nabatieh al-Fawqa",
    7870014: "Nabatieh",
    276592: "Bint Jbeil",
    271226: "Marjayoun",
    279727: "Khiam",
    278832: "Naqoura",
    267447: "Shebaa",
    272816: "Kfarchouba",
    7869888: "Kfarchouba",
    266560: "Odaisseh",
    270767: "Mays al-Jabal",
    6272103: "Mays al-Jabal",
    277369: "Aita al-Shaab",
    277366: "Aitaroun",
    271090: "Maroun al-Ras",
    279091: "Qlayaa",
    268585: "Rmeish",
    266714: "Tebnine",
    7869857: "Tebnine",
    274425: "Haret Hreik",
    280148: "Ghobeiry",
    7838988: "Ghobeiry",
    276140: "Burj al-Barajneh",
    278159: "Chiyah",
    280134: "Hadath",
    273140: "Jounieh",
    6941107: "Jounieh",
    273203: "Jbeil",
    273675: "Arsal",
    274313: "Hasbaya",
    6253857: "Rashaya",
    273185: "Joub Jannine",
    276359: "Bcharre",
    265846: "Zgharta",
    280425: "Aley",
    273360: "Jezzine",
    278936: "Amioun",
    280328: "Batroun",
    267156: "Sir al-Dinniyeh",
    276771: "Beiteddine",
    279854: "Jdeideh",
    278139: "Choueifat",
    280789: "Damour",
    268661: "Rayak",
    278925: "Anjar",
    279268: "Qaa",
    279400: "El Mina",
    274723: "Halba",
    277655: "Ain al-Hilweh camp",
    276139: "Burj al-Barajneh camp",
    267547: "Shatila camp",
    269949: "Nahr al-Bared camp",
    268734: "Rashidieh camp",
    277209: "Beddawi camp",
    270368: "Mieh Mieh camp",
    276129: "Burj al-Shemali camp",
    276077: "El Buss camp",
    266166: "Wavel camp",
    271363: "Mar Elias camp",
    275472: "Dbayeh camp",
    273300: "Jisr al-Basha camp",
    276636: "Rafic Hariri International Airport",
    8335363: "Beirut Air Base",
    7668392: "Rene Mouawad Air Base (Qlayaat)",
    6275276: "Port of Beirut",
    272089: "Litani River",
    277819: "Awali River",
    266036: "Zahrani River",
    303365: "Orontes River",
    169612: "Mount Hermon",
    269474: "Beaufort Castle",
    279459: "Masnaa border crossing",
    435505: "Naqoura border post",
    272956: "Nahr al-Kabir",
    277305: "Zahrani oil terminal",
    269081: "Lake Qaraoun",
    269080: "Qaraoun Dam",
    6274916: "Sabra",
}

# Names to remove from one GeoNames row (they belong to another place).
DROP_NAMES: dict[int, set[str]] = {
    274723: {"Aakar", "Akkar", "`Akkar", "‘Akkār", "عكار"},  # Halba town: "Akkar" is the region
    266042: {"Bekaa", "Bekâa"},  # Zahle caza is not the Bekaa
    280005: {"Hanin", "Hanine", "Hânîne", "Ḩānīn"},  # Hanniyeh (Tyre) is not Hanine
    271891: {"Mahrunah", "Maḩrūnah"},  # the row "AITIT" carries Mahrouneh's name
    279075: {"القرية"},  # "the village"
    267008: {"الصور"},  # Tyre: "the pictures"
}
# A Lebanese locality loses a name that is also the name of a country or a foreign place
# (GeoNames has a "Doha" near Aramoun and a "الجزاير"), except these.
KEEP_SHARED_NAMES = {"القلمون", "Qalamoun", "El Qalamoun"}

# --------------------------------------------------------------------------------------------
# Name filtering
# --------------------------------------------------------------------------------------------


def wordlist(text: str) -> set[str]:
    """The whitespace-separated words of a text block."""
    return set(text.split())


# Generic words: a name is dropped when, once articles are removed, every word is in this list
# (so "Ain", "El Ain", "Haret et Tahta", "الحي", "المزرعة" go; "Ain Ebel", "Kfar Kila" stay).
STOP_LATIN = wordlist("""
camp camps center centre saint sainte st santa san mar mart nabi nebi sheikh cheikh chaikh shaykh
ain aain ayn aayoun ayoun uyun aioun beit bait bayt byt kfar kafr kfour kfur kufur kfar
haret harat hara harah hay hai hayy haie jabal jebel jbel jabel jebl wadi ouadi ouadi wady
nahr nahar tell tall tallet talle tallat qasr ksar kasr qsar qsair qousour mazraa mazraat mazraet
mazraah mazra mazrat bir bire deir dair dayr dyr qaryet qaryat qarye qaria qarya qariyeh balad
balda baldah burj borj bourj brej ras raas khirbet khirbat kherbet khirbe khraibe khraibeh
khirbah khuraybah khreibe khreibeh jisr sahl dahr dhour dahret qalaa qalaat qalat qalah qalat
souk souq suq soukh port village city town north south east west upper lower new old quarter
district station airport hospital church mosque school market square street road bridge river
spring hill mountain valley farm farms garden house castle tower beach harbour harbor bay island
cape plain lake dam mill well cave ruins ruin monastery convent chapel tomb shrine cemetery
forest grove park hotel plateau pass ridge slope spur peak summit mount mont haouch hawsh hoch
hosh haush maqam khan mghara magharat mgharet maghara mrah marah tahta tahte tehta faouqa fawqa
fouqa foqa gharbi gharbiye gharbiyeh charqi charqiye charqiyeh chemali chmali shamali janoubi
jnoubi kbir kabir kebir saghir sghir sghire jdide jdaide jdeide jdeideh jadide jadidah judaydah
atiqa atiqah qadim qadime bahr bhar plage qornet qurnat qorn qarn qarne jouret jurat joura haql
haqlet karm kroum kurum bustan boustan midane midan maydan midan aaqbe aqabah aqaba aaqabe daiaa
dayah daia daiaat harf daoura dawra zire zirah qati qatie qateaa knaysah knisse knisseh kneisse
manzilah manzle manzleh ghabah ghabe ghabeh blat blata balat mahattah mhatta mhattah hariqah
hriqa arabah aarbe aarab arab fawwar ouata wata watta wata mazarea sahel jurd jord jroud
ard arad aard hawr haour furn forn nabaa nab naba dar bab tariq tarik
""")
STOP_ARABIC_RAW = """
عين عيون دير برج كفر كفور بيت حارة حاره حي جبل وادي نهر تل تلة تله قصر مزرعة مزرعه مزارع بئر
بير قرية قريه بلدة بلده بلد ضيعة ضيعه مخيم مركز سوق ساحة ساحه شارع مدينة مدينه قلعة قلعه رأس
راس خربة خربه خرايب جسر سهل ضهر كنيسة كنيسه قبر قبة قبه ميناء مينا مرفأ مطار معبر منطقة منطقه
محلة محله مدرسة مدرسه جامع مسجد مستشفى حقل كرم بستان شمال شمالي شمالية جنوب جنوبي جنوبية شرق
شرقي شرقية غرب غربي غربية فوقا تحتا وسطى عليا سفلى جديدة جديده قديمة قديمه كبير كبيرة صغير
صغيرة عرب دار نبع ارض أرض حرج مغارة مغاره طاحون خان زاوية زاويه حوش مشاع جرد عقبة عقبه ضيعة
مار شيخ نبي مقام طريق باب فرن ميدان حارات حي
"""

# Common words and personal names that some localities carry as their only distinctive word: a
# name reduced to one of these single words is dropped ("Haddad", "Salam", "Unesco", "الجندي",
# "الشعب", "سبيل", "حالات"), but multi-word names keep them ("Ain al-Hilweh", "عين الحلوة").
COMMON_SINGLE_LATIN = wordlist("""
abboud baba bain bane barakah barake barbara bass batal battal boulogne boutros daher dome doha
ellie farhat gebrayel jebrayel jibrail haddad hamoui hannush haroun harun haut hayek hikmat hikmeh
husayn hussein hsayn hsein husna jaafar janine janin jendi jeundi jundi khodr khodor khidr khudr
karak khartoum khartum jazayer jazayir jezaier tikrit tekrit heliopolis marfa marfaa mari markaz
massa mezher nassar parc patriarcat patriarchy rabie rami riviera sabbah safa safari salam salima
salome saloume saloumi sari sayed sayyid unesco unasku yahoud yahoudiye yahoudiyah yahudiyah yhoudi
zahir
""")
COMMON_SINGLE_ARABIC_RAW = """
الإذاعة الأونسكو البارد البحرة البحيرة الجارية الجندي الحجة الحرف الحلوة الروضة الزاير السياحة
السيار الشعب الشقيق الصليب العبرة العقيدة الغابات الغابة القاطع القرن المحطة المشرف المعادن
المعرض المطل جزيرة بلا بان جنة جون حبوب خرطوم خندق زيتون زيتونة سبيل سلم صخرة صغار صنوبر عبود
عزة عمار عمران مسرح معاد حالات رام عدوي الحسينية الجزاير طبرية الناصرة القصير الشهداء السلام
أنصار معركة القصر المصنع
"""
LATIN_ARTICLES = {
    "al",
    "el",
    "an",
    "en",
    "enn",
    "ar",
    "er",
    "as",
    "es",
    "ash",
    "ech",
    "esh",
    "ad",
    "ed",
    "at",
    "et",
    "ett",
    "az",
    "ez",
    "ej",
    "aj",
    "adh",
    "ath",
    "ach",
    "l",
    "le",
    "la",
    "les",
    "the",
    "de",
    "du",
    "des",
    "of",
    "d",
}
# Letters of Persian/Urdu/other languages written in Arabic script: such names are not Arabic.
NON_ARABIC_LETTERS = set("یکگپچژےۀہھٹڈڑںۓۃۋۆېۇۈ")
APOSTROPHES = "'’‘`ʿʾʼʻ"
# Words that mark a foreign-language form among GeoNames' alternate names of admin units.
FOREIGN_ADMIN_WORDS = {
    "distretto",
    "rajonas",
    "distrikt",
    "srjan",
    "kada",
    "destrict",
    "district de",
}

# The same folding the matcher applies, so stop words compare as the matcher will see them.
fold = fold_plain


def words(text: str) -> list[str]:
    """Folded words without apostrophes, articles or the Arabic article."""
    folded = fold(text)
    for char in APOSTROPHES:
        folded = folded.replace(char, "")
    out = []
    for word in re.split(r"[\s\-]+", folded):
        if not word or word in LATIN_ARTICLES:
            continue
        if word.startswith("ال") and len(word) > 3:
            word = word[2:]
        out.append(word)
    return out


STOP_ARABIC = {w for raw in STOP_ARABIC_RAW.split() for w in words(raw)}
STOP_WORDS = {fold(w) for w in STOP_LATIN} | STOP_ARABIC
COMMON_SINGLE = {fold(w) for w in COMMON_SINGLE_LATIN} | {
    w for raw in COMMON_SINGLE_ARABIC_RAW.split() for w in words(raw)
}


def script_of(name: str) -> str | None:
    """'latin', 'arabic', or None when the name mixes scripts or holds symbols or digits."""
    latin = arabic = 0
    for char in name:
        category = unicodedata.category(char)
        if category.startswith("L") and category != "Lm":
            uname = unicodedata.name(char, "")
            if uname.startswith("LATIN"):
                latin += 1
            elif uname.startswith("ARABIC"):
                if char in NON_ARABIC_LETTERS:
                    return None
                arabic += 1
            else:
                return None
        elif category in ("Mn", "Mc", "Lm") or char in " -'’‘`.":
            continue
        else:
            return None
    if latin and not arabic:
        return "latin"
    if arabic and not latin:
        return "arabic"
    return None


def letter_count(name: str) -> int:
    return sum(1 for c in name if c.isalpha() and unicodedata.category(c) != "Lm")


def usable(name: str) -> bool:
    """A GeoNames name worth matching: Latin or Arabic script, long enough, not a code, not a
    machine transliteration, not only generic words."""
    if not name or name != name.strip() or "  " in name or "http" in name.lower():
        return False
    script = script_of(name)
    if script is None:
        return False
    letters = letter_count(name)
    if script == "latin":
        if letters < 4:
            return False
        if not any(c.isupper() for c in name):  # "mhafzt byrwt", "de li bo li"
            return False
        if name.isupper() and letters <= 4:  # "OLKA", "BEY"
            return False
    elif letters < 3:
        return False
    remaining = words(name)
    if len(remaining) == 1 and remaining[0] in COMMON_SINGLE:
        return False
    return bool(remaining) and not all(w in STOP_WORDS for w in remaining)


def dedupe(names: list[str]) -> list[str]:
    """Names in order, without duplicates under the matcher's folding."""
    seen: set[str] = set()
    out = []
    for name in names:
        name = " ".join(name.split())
        key = fold(name)
        if name and key not in seen:
            seen.add(key)
            out.append(name)
    return out


# --------------------------------------------------------------------------------------------
# Hand-written names
# --------------------------------------------------------------------------------------------
LB_ADMIN1_NAMES: dict[str, list[str]] = {
    "LB1": [
        "Beirut",
        "Beyrouth",
        "Beirut Governorate",
        "Mohafazat Beyrouth",
        "بيروت",
        "محافظة بيروت",
    ],
    "LB2": [
        "Bekaa",
        "Beqaa",
        "Békaa",
        "Bekaa Governorate",
        "Mohafazat Béqaa",
        "البقاع",
        "محافظة البقاع",
    ],
    "LB3": [
        "Mount Lebanon",
        "Mont-Liban",
        "Mount Lebanon Governorate",
        "Mohafazat Mont-Liban",
        "Jabal Lubnan",
        "جبل لبنان",
        "محافظة جبل لبنان",
    ],
    "LB4": [
        "El Nabatieh",
        "Nabatieh",
        "Nabatiyeh",
        "Nabatiye",
        "Nabatîyé",
        "An Nabatiyah",
        "Nabatieh Governorate",
        "Mohafazat Nabatîyé",
        "النبطية",
        "محافظة النبطية",
    ],
    # bare "North"/"South" are left out on purpose (too generic); see aliases.tsv for
    # "north Lebanon", "south Lebanon"
    "LB5": [
        "North Governorate",
        "North Lebanon Governorate",
        "Liban-Nord",
        "Mohafazat Liban-Nord",
        "لبنان الشمالي",
        "محافظة الشمال",
        "محافظة لبنان الشمالي",
    ],
    "LB6": [
        "South Governorate",
        "South Lebanon Governorate",
        "Liban-Sud",
        "Mohafazat Liban-Sud",
        "لبنان الجنوبي",
        "محافظة الجنوب",
        "محافظة لبنان الجنوبي",
    ],
    "LB7": [
        "Akkar",
        "Aakkar",
        "Aakkâr",
        "Akkar Governorate",
        "Mohafazat Aakkâr",
        "عكار",
        "محافظة عكار",
    ],
    "LB8": [
        "Baalbek-El Hermel",
        "Baalbek-Hermel",
        "Baalbeck-Hermel",
        "Baalbek Hermel",
        "Baalbek-Hermel Governorate",
        "Mohafazat Baalbek-Hermel",
        "بعلبك الهرمل",
        "بعلبك - الهرمل",
        "محافظة بعلبك الهرمل",
    ],
}
# English/French spellings and the Arabic name of each district; "<name> District" and
# "قضاء <arabic>" are added for the first English and the Arabic name.
LB_ADMIN2_NAMES: dict[str, tuple[list[str], list[str]]] = {
    "LB11": (["Beirut", "Beyrouth"], ["بيروت"]),
    "LB21": (["Baalbek", "Baalbeck"], ["بعلبك"]),
    "LB22": (["Hermel", "El Hermel", "Hirmil"], ["الهرمل"]),
    "LB23": (["Rashaya", "Rachaya", "Rashayya", "Rachaiya", "Rachaïya"], ["راشيا"]),
    "LB24": (
        [
            "West Bekaa",
            "Western Bekaa",
            "Bekaa-Ouest",
            "Békaa-Ouest",
            "Beqaa-Ouest",
            "Bekaa West",
            "Biqa al-Gharbi",
        ],
        ["البقاع الغربي"],
    ),
    "LB25": (["Zahle", "Zahlé", "Zahleh"], ["زحلة"]),
    "LB31": (["Aley", "Aaley", "Alayh"], ["عاليه"]),
    "LB32": (["Baabda"], ["بعبدا"]),
    "LB33": (["Chouf", "Shouf", "Shuf", "Ash Shuf"], ["الشوف"]),
    "LB34": (["Jbeil", "Jubayl", "Jbail", "Byblos District"], ["جبيل"]),
    "LB35": (["Keserwan", "Kesrouane", "Kesrouan", "Kisrwan", "Kesrwan"], ["كسروان"]),
    "LB36": (["Metn", "Matn", "Meten", "El Metn", "Al Matn"], ["المتن"]),
    "LB41": (["Bint Jbeil", "Bent Jbeil", "Bint Jbail", "Bint Jubayl"], ["بنت جبيل"]),
    "LB42": (["Hasbaya", "Hasbeiya", "Hasbayya", "Hasbaiya"], ["حاصبيا"]),
    "LB43": (["Marjayoun", "Marjaayoun", "Marjeyoun", "Marjayoûn"], ["مرجعيون"]),
    "LB44": (["Nabatieh", "Nabatiyeh", "Nabatiye"], ["النبطية"]),
    "LB51": (["Akkar", "Aakkar"], ["عكار"]),
    "LB52": (["Batroun", "Batrun"], ["البترون"]),
    "LB53": (["Bcharre", "Bsharri", "Becharre", "Bcharreh", "Bsharre"], ["بشري"]),
    "LB54": (["Koura", "Kura", "Al Koura"], ["الكورة"]),
    "LB55": (
        [
            "Miniyeh-Danniyeh",
            "Minieh-Danniyeh",
            "Minnieh-Dinnieh",
            "Minieh-Dinnieh",
            "Minie-Denniyeh",
            "Danniyeh",
            "Dinnieh",
            "Dennieh",
        ],
        ["المنية الضنية", "المنية - الضنية", "الضنية"],
    ),
    "LB56": (["Tripoli"], ["طرابلس"]),
    "LB57": (["Zgharta", "Zghorta"], ["زغرتا"]),
    "LB61": (["Saida", "Sidon", "Sayda"], ["صيدا"]),
    "LB62": (["Jezzine", "Jezzin", "Jazzin"], ["جزين"]),
    "LB63": (["Tyre", "Sour", "Tyr"], ["صور"]),
}

# SYR and PSE governorates (OCHA P-codes): English/French/Arabic variants.
NEIGHBOUR_PCODE_NAMES: dict[str, list[str]] = {
    "SY01": ["Damascus", "Damas", "Dimashq", "Damascus Governorate", "دمشق", "محافظة دمشق"],
    "SY02": ["Aleppo", "Alep", "Halab", "Aleppo Governorate", "حلب", "محافظة حلب"],
    "SY03": [
        "Rural Damascus",
        "Rif Dimashq",
        "Rif-Dimashq",
        "Reef Damascus",
        "Damascus countryside",
        "Damascus Countryside",
        "Rif Damas",
        "campagne de Damas",
        "ريف دمشق",
        "محافظة ريف دمشق",
    ],
    "SY04": ["Homs", "Homs Governorate", "حمص", "محافظة حمص"],
    "SY05": ["Hama", "Hamah", "Hama Governorate", "حماة", "حماه", "محافظة حماة"],
    "SY06": [
        "Lattakia",
        "Latakia",
        "Lattaquié",
        "Latakia Governorate",
        "اللاذقية",
        "محافظة اللاذقية",
    ],
    "SY07": ["Idleb", "Idlib", "Idlib Governorate", "إدلب", "محافظة إدلب"],
    "SY08": [
        "Al-Hasakeh",
        "Hasakah",
        "Hassakeh",
        "Hasakeh",
        "Hassaké",
        "Al-Hasakah",
        "Hasakah Governorate",
        "الحسكة",
        "محافظة الحسكة",
    ],
    "SY09": [
        "Deir-ez-Zor",
        "Deir ez-Zor",
        "Deir ez Zor",
        "Deir al-Zor",
        "Deir el-Zor",
        "Deir Ezzor",
        "Deir Ez-Zor Governorate",
        "دير الزور",
        "محافظة دير الزور",
    ],
    "SY10": ["Tartous", "Tartus", "Tartous Governorate", "طرطوس", "محافظة طرطوس"],
    "SY11": ["Ar-Raqqa", "Raqqa", "Raqqah", "Rakka", "Raqqa Governorate", "الرقة", "محافظة الرقة"],
    "SY12": ["Dar'a", "Daraa", "Deraa", "Dera'a", "Daraa Governorate", "درعا", "محافظة درعا"],
    "SY13": [
        "As-Sweida",
        "Sweida",
        "Suwayda",
        "As-Suwayda",
        "Soueïda",
        "Sweida Governorate",
        "السويداء",
        "محافظة السويداء",
    ],
    "SY14": [
        "Quneitra",
        "Kuneitra",
        "Qouneitra",
        "Quneitra Governorate",
        "القنيطرة",
        "محافظة القنيطرة",
    ],
    "PS01": [
        "West Bank",
        "Cisjordanie",
        "the West Bank",
        "occupied West Bank",
        "الضفة الغربية",
        "الضفة الغربية المحتلة",
    ],
    "PS02": ["Gaza Strip", "Gaza", "bande de Gaza", "Bande de Gaza", "قطاع غزة", "غزة"],
}

# GeoNames admin-1 units of countries without OCHA P-codes here.  Display name override and extra
# names (French/Arabic).  Units whose bare name is also a city in CITIES get a qualified display
# name and no bare name, so "Haifa" finds the city.
OTHER_ADMIN1_COUNTRIES = ("IL", "JO", "IQ", "CY", "IR")
OTHER_ADMIN1: dict[str, tuple[str | None, list[str], bool]] = {
    # code: (display name or None, extra names, keep GeoNames' bare names?)
    "IL.01": ("Southern District (Israel)", ["Southern District of Israel"], False),
    "IL.02": ("Central District (Israel)", ["Central District of Israel"], False),
    "IL.03": (
        "Northern District (Israel)",
        ["Northern District of Israel", "Israel's Northern District"],
        False,
    ),
    "IL.04": ("Haifa District", ["Haifa District", "district de Haïfa", "منطقة حيفا"], False),
    "IL.05": (
        "Tel Aviv District",
        ["Tel Aviv District", "district de Tel Aviv", "منطقة تل أبيب"],
        False,
    ),
    "IL.06": (
        "Jerusalem District",
        ["Jerusalem District", "district de Jérusalem", "منطقة القدس"],
        False,
    ),
    "IL.WE": (
        "Judea and Samaria Area",
        ["Judea and Samaria", "Judée-Samarie", "يهودا والسامرة"],
        True,
    ),
    "JO.16": (
        "Amman Governorate",
        ["Amman Governorate", "gouvernorat d'Amman", "محافظة العاصمة", "محافظة عمان"],
        False,
    ),
    "JO.18": ("Irbid Governorate", ["Irbid Governorate", "محافظة إربد"], False),
    "JO.17": ("Zarqa Governorate", ["Zarqa Governorate", "محافظة الزرقاء"], False),
    "JO.21": ("Aqaba Governorate", ["Aqaba Governorate", "محافظة العقبة"], False),
    "JO.15": (None, ["Mafraq Governorate", "المفرق", "محافظة المفرق"], True),
    "JO.09": (None, ["Karak Governorate", "Kerak", "الكرك", "محافظة الكرك"], True),
    "JO.02": (None, ["Balqa Governorate", "Balqa'", "البلقاء", "محافظة البلقاء"], True),
    "JO.20": (None, ["Ajloun", "Ajloun Governorate", "عجلون", "محافظة عجلون"], True),
    "JO.22": (None, ["Jerash Governorate", "جرش", "محافظة جرش"], True),
    "JO.23": (None, ["Madaba Governorate", "مادبا", "محافظة مادبا"], True),
    "JO.19": (None, ["Ma'an Governorate", "Maan", "معان", "محافظة معان"], True),
    "JO.12": (None, ["Tafilah", "Tafila", "الطفيلة", "محافظة الطفيلة"], True),
    "IQ.07": ("Baghdad Governorate", ["Baghdad Governorate", "محافظة بغداد"], False),
    "IQ.02": ("Basra Governorate", ["Basra Governorate", "محافظة البصرة"], False),
    "IQ.15": (None, ["Nineveh Governorate", "Ninawa", "Ninive", "نينوى", "محافظة نينوى"], True),
    "IQ.11": (
        "Erbil Governorate",
        ["Erbil Governorate", "Arbil Governorate", "محافظة أربيل"],
        False,
    ),
    "IQ.13": ("Kirkuk Governorate", ["Kirkuk Governorate", "محافظة كركوك"], False),
    "IQ.17": ("Najaf Governorate", ["Najaf Governorate", "محافظة النجف"], False),
    "IQ.12": ("Karbala Governorate", ["Karbala Governorate", "محافظة كربلاء"], False),
    "IQ.01": (None, ["Anbar", "Al-Anbar", "Anbar Governorate", "الأنبار", "محافظة الأنبار"], True),
    "IQ.18": (None, ["Salahuddin", "Salah al-Din", "صلاح الدين", "محافظة صلاح الدين"], True),
    "IQ.10": (None, ["Diyala", "ديالى", "محافظة ديالى"], True),
    "IQ.09": (None, ["Dhi Qar", "ذي قار", "محافظة ذي قار"], True),
    "IQ.14": (None, ["Maysan", "Missan", "ميسان", "محافظة ميسان"], True),
    "IQ.16": (None, ["Wasit", "واسط", "محافظة واسط"], True),
    "IQ.06": (None, ["Babil", "Babylon Governorate", "بابل", "محافظة بابل"], True),
    "IQ.04": (None, ["Qadisiyah", "Al-Qadisiyah", "القادسية", "محافظة القادسية"], True),
    "IQ.03": (None, ["Muthanna", "Al-Muthanna", "المثنى", "محافظة المثنى"], True),
    "IQ.08": (None, ["Duhok", "Dohuk", "دهوك", "محافظة دهوك"], True),
    "IQ.05": (None, ["Sulaymaniyah", "Sulaimaniyah", "السليمانية", "محافظة السليمانية"], True),
    "IR.26": ("Tehran Province", ["Tehran Province", "province de Téhéran", "محافظة طهران"], False),
    "IR.28": (
        "Isfahan Province",
        ["Isfahan Province", "province d'Ispahan", "محافظة أصفهان"],
        False,
    ),
    "IR.39": ("Qom Province", ["Qom Province", "محافظة قم"], False),
    "IR.15": (None, ["Khuzestan Province", "Khouzistan", "خوزستان", "الأحواز"], True),
    "IR.13": (None, ["Kermanshah Province", "كرمانشاه"], True),
    "IR.11": (None, ["Hormozgan Province", "هرمزغان"], True),
    "IR.22": (None, ["Bushehr Province", "بوشهر"], True),
    "IR.33": (None, ["East Azerbaijan Province", "أذربيجان الشرقية"], True),
    "IR.01": (None, ["West Azerbaijan Province", "أذربيجان الغربية"], True),
    "IR.42": (None, ["Razavi Khorasan Province", "خراسان رضوي"], True),
    "IR.04": (None, ["Sistan and Baluchestan Province", "سيستان وبلوشستان"], True),
    "IR.07": (None, ["Fars Province"], True),
    "CY.04": ("Nicosia District", ["Nicosia District", "district de Nicosie"], False),
    "CY.03": ("Larnaca District", ["Larnaca District", "Larnaka District"], False),
    "CY.05": ("Limassol District", ["Limassol District"], False),
    "CY.06": (None, ["Paphos", "Paphos District", "بافوس"], True),
    "CY.02": (None, ["Kyrenia", "Kyrenia District", "Girne", "كيرينيا"], True),
    "CY.01": (None, ["Famagusta", "Famagusta District", "فاماغوستا"], True),
}

# Countries: ISO2 -> (English name, lat, lon, names).  No demonyms here (see demonyms.tsv).
COUNTRIES: dict[str, tuple[str, float, float, list[str]]] = {
    "LB": (
        "Lebanon",
        33.85,
        35.86,
        [
            "Lebanon",
            "Lebanese Republic",
            "Liban",
            "République libanaise",
            "لبنان",
            "الجمهورية اللبنانية",
        ],
    ),
    "SY": (
        "Syria",
        35.0,
        38.5,
        ["Syria", "Syrian Arab Republic", "Syrie", "سوريا", "سورية", "الجمهورية العربية السورية"],
    ),
    "IL": (
        "Israel",
        31.5,
        34.9,
        [
            "Israel",
            "State of Israel",
            "Israël",
            "État d'Israël",
            "إسرائيل",
            "اسرائيل",
            "دولة إسرائيل",
        ],
    ),
    "PS": (
        "Palestine",
        31.9,
        35.2,
        [
            "Palestine",
            "State of Palestine",
            "Palestinian territories",
            "Occupied Palestinian Territory",
            "occupied Palestinian territory",
            "Territoires palestiniens",
            "territoires palestiniens occupés",
            "فلسطين",
            "دولة فلسطين",
            "الأراضي الفلسطينية",
            "الأراضي الفلسطينية المحتلة",
        ],
    ),
    "JO": (
        "Jordan",
        31.2,
        36.5,
        [
            "Jordan",
            "Hashemite Kingdom of Jordan",
            "Jordanie",
            "الأردن",
            "الاردن",
            "المملكة الأردنية الهاشمية",
        ],
    ),
    "IQ": ("Iraq", 33.2, 43.7, ["Iraq", "Irak", "العراق", "جمهورية العراق"]),
    "CY": ("Cyprus", 35.0, 33.2, ["Cyprus", "Chypre", "قبرص"]),
    "IR": (
        "Iran",
        32.4,
        53.7,
        [
            "Iran",
            "Islamic Republic of Iran",
            "République islamique d'Iran",
            "إيران",
            "ايران",
            "الجمهورية الإسلامية الإيرانية",
        ],
    ),
    "TR": ("Turkey", 39.0, 35.2, ["Turkey", "Türkiye", "Turkiye", "Turquie", "تركيا"]),
    "EG": ("Egypt", 26.8, 30.8, ["Egypt", "Égypte", "Egypte", "مصر", "جمهورية مصر العربية"]),
    "SA": (
        "Saudi Arabia",
        23.9,
        45.1,
        [
            "Saudi Arabia",
            "Kingdom of Saudi Arabia",
            "Arabie saoudite",
            "Arabie Saoudite",
            "السعودية",
            "المملكة العربية السعودية",
        ],
    ),
    "YE": ("Yemen", 15.6, 48.5, ["Yemen", "Yémen", "اليمن"]),
    "AE": (
        "United Arab Emirates",
        23.4,
        53.8,
        [
            "United Arab Emirates",
            "UAE",
            "U.A.E.",
            "Émirats arabes unis",
            "Emirats arabes unis",
            "الإمارات",
            "الإمارات العربية المتحدة",
            "دولة الإمارات",
        ],
    ),
    "QA": ("Qatar", 25.3, 51.2, ["Qatar", "قطر"]),
    "KW": ("Kuwait", 29.3, 47.5, ["Kuwait", "Koweït", "Koweit", "الكويت"]),
    "BH": ("Bahrain", 26.0, 50.55, ["Bahrain", "Bahreïn", "Bahrein", "البحرين"]),
    "OM": (
        "Oman",
        21.5,
        55.9,
        ["Oman", "Sultanate of Oman", "sultanat d'Oman", "سلطنة عمان", "سلطنة عُمان"],
    ),
    "LY": ("Libya", 26.3, 17.2, ["Libya", "Libye", "ليبيا"]),
    "TN": ("Tunisia", 33.9, 9.5, ["Tunisia", "Tunisie", "تونس"]),
    "DZ": ("Algeria", 28.0, 1.7, ["Algeria", "Algérie", "Algerie", "الجزائر"]),
    "MA": ("Morocco", 31.8, -7.1, ["Morocco", "Maroc", "المغرب", "المملكة المغربية"]),
    "SD": ("Sudan", 12.9, 30.2, ["Sudan", "Soudan", "السودان"]),
    "US": (
        "United States",
        39.8,
        -98.6,
        [
            "United States",
            "United States of America",
            "USA",
            "U.S.",
            "U.S.A.",
            "America",
            "États-Unis",
            "Etats-Unis",
            "Amérique",
            "الولايات المتحدة",
            "الولايات المتحدة الأمريكية",
            "الولايات المتحدة الأميركية",
            "أمريكا",
            "أميركا",
            "امريكا",
            "اميركا",
        ],
    ),
    "GB": (
        "United Kingdom",
        54.0,
        -2.0,
        [
            "United Kingdom",
            "UK",
            "U.K.",
            "Britain",
            "Great Britain",
            "Royaume-Uni",
            "Grande-Bretagne",
            "المملكة المتحدة",
            "بريطانيا",
        ],
    ),
    "FR": ("France", 46.2, 2.2, ["France", "فرنسا"]),
    "DE": ("Germany", 51.2, 10.4, ["Germany", "Allemagne", "ألمانيا", "المانيا"]),
    "RU": (
        "Russia",
        61.5,
        105.3,
        [
            "Russia",
            "Russian Federation",
            "Russie",
            "Fédération de Russie",
            "روسيا",
            "روسيا الاتحادية",
        ],
    ),
    "UA": ("Ukraine", 48.4, 31.2, ["Ukraine", "أوكرانيا", "اوكرانيا"]),
    "CN": ("China", 35.9, 104.2, ["China", "People's Republic of China", "Chine", "الصين"]),
    "IT": ("Italy", 41.9, 12.6, ["Italy", "Italie", "إيطاليا", "ايطاليا"]),
    "ES": ("Spain", 40.5, -3.7, ["Spain", "Espagne", "إسبانيا", "اسبانيا"]),
    "BE": ("Belgium", 50.5, 4.5, ["Belgium", "Belgique", "بلجيكا"]),
    "NL": (
        "Netherlands",
        52.1,
        5.3,
        ["Netherlands", "the Netherlands", "Holland", "Pays-Bas", "هولندا"],
    ),
    "CA": ("Canada", 56.1, -106.3, ["Canada", "كندا"]),
    "AU": ("Australia", -25.3, 133.8, ["Australia", "Australie", "أستراليا", "استراليا"]),
    "IN": ("India", 20.6, 79.0, ["India", "Inde", "الهند"]),
    "PK": ("Pakistan", 30.4, 69.3, ["Pakistan", "باكستان"]),
    "AF": ("Afghanistan", 33.9, 67.7, ["Afghanistan", "أفغانستان", "افغانستان"]),
    "VE": ("Venezuela", 6.4, -66.6, ["Venezuela", "Vénézuéla", "فنزويلا"]),
    "BR": ("Brazil", -14.2, -51.9, ["Brazil", "Brésil", "البرازيل"]),
    "MX": ("Mexico", 23.6, -102.6, ["Mexico", "Mexique", "المكسيك"]),
    "JP": ("Japan", 36.2, 138.3, ["Japan", "Japon", "اليابان"]),
    "KR": (
        "South Korea",
        35.9,
        127.8,
        ["South Korea", "Republic of Korea", "Corée du Sud", "كوريا الجنوبية"],
    ),
    "KP": (
        "North Korea",
        40.3,
        127.5,
        [
            "North Korea",
            "Democratic People's Republic of Korea",
            "DPRK",
            "Corée du Nord",
            "كوريا الشمالية",
        ],
    ),
    # further countries often in Lebanese news (UNIFIL contributors, diaspora, migrant workers)
    "VA": (
        "Holy See",
        41.9,
        12.45,
        ["Holy See", "Vatican", "Vatican City", "Saint-Siège", "الفاتيكان", "الكرسي الرسولي"],
    ),
    "CH": ("Switzerland", 46.8, 8.2, ["Switzerland", "Suisse", "سويسرا"]),
    "AT": ("Austria", 47.5, 14.6, ["Austria", "Autriche", "النمسا"]),
    "GR": ("Greece", 39.1, 21.8, ["Greece", "Grèce", "اليونان"]),
    "SE": ("Sweden", 60.1, 18.6, ["Sweden", "Suède", "السويد"]),
    "NO": ("Norway", 60.5, 8.5, ["Norway", "Norvège", "النرويج"]),
    "DK": ("Denmark", 56.3, 9.5, ["Denmark", "Danemark", "الدنمارك"]),
    "FI": ("Finland", 61.9, 25.7, ["Finland", "Finlande", "فنلندا"]),
    "IE": ("Ireland", 53.4, -8.2, ["Ireland", "Irlande", "إيرلندا", "ايرلندا"]),
    "PL": ("Poland", 51.9, 19.1, ["Poland", "Pologne", "بولندا"]),
    "PT": ("Portugal", 39.4, -8.2, ["Portugal", "البرتغال"]),
    "AM": ("Armenia", 40.1, 45.0, ["Armenia", "Arménie", "أرمينيا", "ارمينيا"]),
    "AZ": ("Azerbaijan", 40.1, 47.6, ["Azerbaijan", "Azerbaïdjan", "أذربيجان"]),
    "GE": ("Georgia", 42.3, 43.4, ["Georgia (country)", "Géorgie", "جورجيا"]),
    "ET": ("Ethiopia", 9.1, 40.5, ["Ethiopia", "Éthiopie", "Ethiopie", "إثيوبيا", "اثيوبيا"]),
    "KE": ("Kenya", -0.02, 37.9, ["Kenya", "كينيا"]),
    "NG": ("Nigeria", 9.1, 8.7, ["Nigeria", "Nigéria", "نيجيريا"]),
    "SN": ("Senegal", 14.5, -14.5, ["Senegal", "Sénégal", "السنغال"]),
    "CI": ("Côte d'Ivoire", 7.5, -5.5, ["Côte d'Ivoire", "Ivory Coast", "ساحل العاج"]),
    "GH": ("Ghana", 7.9, -1.0, ["Ghana", "غانا"]),
    "SO": ("Somalia", 5.2, 46.2, ["Somalia", "Somalie", "الصومال"]),
    "BD": ("Bangladesh", 23.7, 90.4, ["Bangladesh", "بنغلادش", "بنغلاديش"]),
    "LK": ("Sri Lanka", 7.9, 80.8, ["Sri Lanka", "سريلانكا", "سري لانكا"]),
    "PH": ("Philippines", 12.9, 121.8, ["Philippines", "الفلبين"]),
    "NP": ("Nepal", 28.4, 84.1, ["Nepal", "Népal", "نيبال"]),
    "ID": ("Indonesia", -0.8, 113.9, ["Indonesia", "Indonésie", "إندونيسيا", "اندونيسيا"]),
    "MY": ("Malaysia", 4.2, 101.98, ["Malaysia", "Malaisie", "ماليزيا"]),
    "AR": ("Argentina", -38.4, -63.6, ["Argentina", "Argentine", "الأرجنتين"]),
    "CO": ("Colombia", 4.6, -74.3, ["Colombia", "Colombie", "كولومبيا"]),
    "MR": ("Mauritania", 21.0, -10.9, ["Mauritania", "Mauritanie", "موريتانيا"]),
}

# Cities and places GeoNames (this extract) lacks: (id, level, display name, country, admin1 id,
# admin2 P-code, lat, lon, names).  Coordinates are approximate (2-3 decimals).
HAND_PLACES: list[tuple[str, str, str, str, str, str, float, float, list[str]]] = [
    # --- Lebanon: places the news names that GeoNames does not hold as rows
    (
        "place:LB:shebaa-farms",
        "locality",
        "Shebaa Farms",
        "LB",
        "LB4",
        "LB42",
        33.29,
        35.72,
        [
            "Shebaa Farms",
            "Shebaa farms",
            "Sheba'a Farms",
            "Chebaa Farms",
            "fermes de Chebaa",
            "Fermes de Chebaa",
            "مزارع شبعا",
        ],
    ),
    (
        "place:LB:kfarchouba-hills",
        "locality",
        "Kfarchouba Hills",
        "LB",
        "LB4",
        "LB42",
        33.31,
        35.70,
        [
            "Kfarchouba Hills",
            "Kfarchouba hills",
            "Kfar Shouba Hills",
            "Kfarshouba Hills",
            "collines de Kfarchouba",
            "تلال كفرشوبا",
        ],
    ),
    (
        "place:LB:hasbani-river",
        "locality",
        "Hasbani River",
        "LB",
        "LB4",
        "",
        33.25,
        35.62,
        [
            "Hasbani River",
            "Hasbani river",
            "Hasbani",
            "Nahr al-Hasbani",
            "الحاصباني",
            "نهر الحاصباني",
        ],
    ),
    (
        "place:LB:ghajar",
        "locality",
        "Ghajar",
        "LB",
        "LB4",
        "",
        33.27,
        35.62,
        ["Ghajar", "al-Ghajar", "El Ghajar", "Ghajar village", "الغجر", "بلدة الغجر"],
    ),
    (
        "place:LB:airport-road",
        "locality",
        "Beirut airport road",
        "LB",
        "LB3",
        "LB32",
        33.85,
        35.495,
        [
            "Beirut airport road",
            "Airport Road",
            "airport road",
            "route de l'aéroport",
            "طريق المطار",
        ],
    ),
    (
        "place:LB:bab-al-tabbaneh",
        "locality",
        "Bab al-Tabbaneh",
        "LB",
        "LB5",
        "LB56",
        34.442,
        35.846,
        [
            "Bab al-Tabbaneh",
            "Bab el-Tabbaneh",
            "Bab al-Tebbaneh",
            "Bab Tabbaneh",
            "Bab el Tebbaneh",
            "Bab-Tabbaneh",
            "باب التبانة",
            "باب التبّانة",
        ],
    ),
    (
        "place:LB:jabal-mohsen",
        "locality",
        "Jabal Mohsen",
        "LB",
        "LB5",
        "LB56",
        34.445,
        35.852,
        ["Jabal Mohsen", "Jabal Mohsin", "Jebel Mohsen", "Jabal Muhsin", "جبل محسن"],
    ),
    (
        "place:LB:arida-crossing",
        "locality",
        "Arida border crossing",
        "LB",
        "LB7",
        "LB51",
        34.635,
        35.975,
        [
            "Arida crossing",
            "Arida border crossing",
            "Aarida",
            "al-Arida",
            "معبر العريضة",
            "العريضة",
        ],
    ),
    (
        "place:LB:abboudiyeh-crossing",
        "locality",
        "Abboudiyeh border crossing",
        "LB",
        "LB7",
        "LB51",
        34.62,
        36.14,
        [
            "Abboudiyeh crossing",
            "Aboudieh crossing",
            "Abboudiyeh",
            "Aboudiyeh",
            "معبر العبودية",
            "العبودية",
        ],
    ),
    (
        "place:LB:jousieh-crossing",
        "locality",
        "Jousieh border crossing (Qaa)",
        "LB",
        "LB8",
        "LB21",
        34.40,
        36.53,
        [
            "Jousieh crossing",
            "Joussieh crossing",
            "Jousiyeh crossing",
            "Qaa-Jousieh crossing",
            "معبر جوسية",
            "معبر القاع",
        ],
    ),
    # --- Syria
    (
        "city:SY:damascus",
        "locality",
        "Damascus",
        "SY",
        "SY01",
        "",
        33.513,
        36.292,
        ["Damascus", "Damas", "Dimashq", "Sham", "دمشق", "الشام"],
    ),
    (
        "city:SY:aleppo",
        "locality",
        "Aleppo",
        "SY",
        "SY02",
        "",
        36.202,
        37.134,
        ["Aleppo", "Alep", "Halab", "حلب"],
    ),
    ("city:SY:homs", "locality", "Homs", "SY", "SY04", "", 34.733, 36.717, ["Homs", "حمص"]),
    (
        "city:SY:hama",
        "locality",
        "Hama",
        "SY",
        "SY05",
        "",
        35.133,
        36.750,
        ["Hama", "Hamah", "حماة", "حماه"],
    ),
    (
        "city:SY:idlib",
        "locality",
        "Idlib",
        "SY",
        "SY07",
        "",
        35.930,
        36.634,
        ["Idlib", "Idleb", "إدلب", "ادلب"],
    ),
    (
        "city:SY:latakia",
        "locality",
        "Latakia",
        "SY",
        "SY06",
        "",
        35.517,
        35.783,
        ["Latakia", "Lattakia", "Lattaquié", "Lattaquie", "اللاذقية"],
    ),
    (
        "city:SY:tartus",
        "locality",
        "Tartus",
        "SY",
        "SY10",
        "",
        34.889,
        35.887,
        ["Tartus", "Tartous", "Tartouss", "طرطوس"],
    ),
    (
        "city:SY:daraa",
        "locality",
        "Daraa",
        "SY",
        "SY12",
        "",
        32.618,
        36.102,
        ["Daraa", "Deraa", "Dar'a", "درعا"],
    ),
    (
        "city:SY:quneitra",
        "locality",
        "Quneitra",
        "SY",
        "SY14",
        "",
        33.126,
        35.824,
        ["Quneitra", "Kuneitra", "Qouneitra", "القنيطرة"],
    ),
    (
        "city:SY:deir-ez-zor",
        "locality",
        "Deir ez-Zor",
        "SY",
        "SY09",
        "",
        35.336,
        40.140,
        [
            "Deir ez-Zor",
            "Deir ez Zor",
            "Deir al-Zor",
            "Deir el-Zor",
            "Deir Ezzor",
            "Deir-ez-Zor",
            "دير الزور",
        ],
    ),
    (
        "city:SY:raqqa",
        "locality",
        "Raqqa",
        "SY",
        "SY11",
        "",
        35.953,
        39.009,
        ["Raqqa", "Raqqah", "Rakka", "الرقة"],
    ),
    (
        "city:SY:qusayr",
        "locality",
        "Qusayr",
        "SY",
        "SY04",
        "",
        34.509,
        36.580,
        ["Qusayr", "al-Qusayr", "Al-Qusayr", "Qusair", "Qousseir", "Kusayr", "القصير"],
    ),
    (
        "city:SY:zabadani",
        "locality",
        "Zabadani",
        "SY",
        "SY03",
        "",
        33.725,
        36.100,
        ["Zabadani", "al-Zabadani", "Zabadani", "الزبداني"],
    ),
    (
        "city:SY:yabroud",
        "locality",
        "Yabroud",
        "SY",
        "SY03",
        "",
        33.967,
        36.657,
        ["Yabroud", "Yabrud", "يبرود"],
    ),
    (
        "place:SY:qalamoun",
        "locality",
        "Qalamoun",
        "SY",
        "SY03",
        "",
        33.95,
        36.55,
        ["Qalamoun", "Qalamoun mountains", "القلمون"],
    ),
    (
        "city:SY:palmyra",
        "locality",
        "Palmyra",
        "SY",
        "SY04",
        "",
        34.560,
        38.267,
        ["Palmyra", "Tadmur", "Tadmor", "Palmyre", "تدمر"],
    ),
    (
        "city:SY:hasakah",
        "locality",
        "Hasakah",
        "SY",
        "SY08",
        "",
        36.500,
        40.748,
        ["Hasakah", "Hassakeh", "al-Hasakah", "الحسكة"],
    ),
    (
        "city:SY:qamishli",
        "locality",
        "Qamishli",
        "SY",
        "SY08",
        "",
        37.052,
        41.232,
        ["Qamishli", "Qamishlo", "القامشلي"],
    ),
    (
        "city:SY:abu-kamal",
        "locality",
        "Abu Kamal",
        "SY",
        "SY09",
        "",
        34.451,
        40.918,
        ["Abu Kamal", "Albu Kamal", "Al-Bukamal", "Boukamal", "البوكمال", "أبو كمال"],
    ),
    (
        "city:SY:mayadin",
        "locality",
        "Mayadin",
        "SY",
        "SY09",
        "",
        35.018,
        40.452,
        ["Mayadin", "al-Mayadin", "Mayadeen", "الميادين"],
    ),
    (
        "city:SY:suwayda",
        "locality",
        "Suwayda",
        "SY",
        "SY13",
        "",
        32.709,
        36.566,
        ["Suwayda", "Sweida", "Soueïda", "السويداء"],
    ),
    (
        "city:SY:banias",
        "locality",
        "Baniyas",
        "SY",
        "SY10",
        "",
        35.182,
        35.949,
        ["Baniyas", "Banias", "بانياس"],
    ),
    (
        "city:SY:jableh",
        "locality",
        "Jableh",
        "SY",
        "SY06",
        "",
        35.361,
        35.926,
        ["Jableh", "Jablah", "Jeblé", "جبلة"],
    ),
    (
        "city:SY:tall-kalakh",
        "locality",
        "Tall Kalakh",
        "SY",
        "SY04",
        "",
        34.667,
        36.259,
        ["Tall Kalakh", "Tal Kalakh", "Tell Kalakh", "تلكلخ"],
    ),
    (
        "city:SY:jdeidet-yabous",
        "locality",
        "Jdeidet Yabous",
        "SY",
        "SY03",
        "",
        33.63,
        36.07,
        ["Jdeidet Yabous", "Jdeidat Yabus", "Jdaidet Yabous", "جديدة يابوس"],
    ),
    (
        "city:SY:majdal-shams",
        "locality",
        "Majdal Shams",
        "SY",
        "SY14",
        "",
        33.268,
        35.771,
        ["Majdal Shams", "Majdel Shams", "مجدل شمس"],
    ),
    (
        "place:SY:golan-heights",
        "locality",
        "Golan Heights",
        "SY",
        "SY14",
        "",
        33.0,
        35.75,
        [
            "Golan Heights",
            "Golan",
            "occupied Golan",
            "plateau du Golan",
            "hauteurs du Golan",
            "الجولان",
            "هضبة الجولان",
            "الجولان المحتل",
        ],
    ),
    # --- Israel (GeoNames admin-1 codes; no position is implied by the country codes used)
    (
        "city:IL:haifa",
        "locality",
        "Haifa",
        "IL",
        "admin1:IL.04",
        "",
        32.794,
        34.990,
        ["Haifa", "Haïfa", "حيفا"],
    ),
    (
        "city:IL:tel-aviv",
        "locality",
        "Tel Aviv",
        "IL",
        "admin1:IL.05",
        "",
        32.085,
        34.782,
        ["Tel Aviv", "Tel-Aviv", "Tel Aviv-Yafo", "تل أبيب", "تل ابيب"],
    ),
    (
        "city:IL:jerusalem",
        "locality",
        "Jerusalem",
        "IL",
        "admin1:IL.06",
        "",
        31.778,
        35.235,
        ["Jerusalem", "Jérusalem", "Al-Quds", "القدس", "القدس المحتلة"],
    ),
    (
        "city:IL:nahariya",
        "locality",
        "Nahariya",
        "IL",
        "admin1:IL.03",
        "",
        33.006,
        35.094,
        ["Nahariya", "Nahariyya", "Naharia", "نهاريا"],
    ),
    (
        "city:IL:kiryat-shmona",
        "locality",
        "Kiryat Shmona",
        "IL",
        "admin1:IL.03",
        "",
        33.208,
        35.570,
        [
            "Kiryat Shmona",
            "Qiryat Shmona",
            "Kiryat Shemona",
            "Qiryat Shemona",
            "كريات شمونة",
            "كريات شمونه",
            "الخالصة",
        ],
    ),
    (
        "city:IL:metula",
        "locality",
        "Metula",
        "IL",
        "admin1:IL.03",
        "",
        33.278,
        35.579,
        ["Metula", "Metulla", "Métoula", "المطلة"],
    ),
    (
        "city:IL:safed",
        "locality",
        "Safed",
        "IL",
        "admin1:IL.03",
        "",
        32.965,
        35.496,
        ["Safed", "Tzfat", "Zefat", "Safad", "صفد"],
    ),
    (
        "city:IL:tiberias",
        "locality",
        "Tiberias",
        "IL",
        "admin1:IL.03",
        "",
        32.796,
        35.531,
        ["Tiberias", "Tibériade", "طبريا"],
    ),
    (
        "city:IL:acre",
        "locality",
        "Acre",
        "IL",
        "admin1:IL.03",
        "",
        32.927,
        35.083,
        ["Acre", "Akko", "Saint-Jean-d'Acre", "عكا"],
    ),
    (
        "city:IL:shlomi",
        "locality",
        "Shlomi",
        "IL",
        "admin1:IL.03",
        "",
        33.074,
        35.145,
        ["Shlomi", "شلومي"],
    ),
    (
        "city:IL:karmiel",
        "locality",
        "Karmiel",
        "IL",
        "admin1:IL.03",
        "",
        32.919,
        35.295,
        ["Karmiel", "Carmiel", "كرميئيل", "كرمئيل"],
    ),
    (
        "city:IL:eilat",
        "locality",
        "Eilat",
        "IL",
        "admin1:IL.01",
        "",
        29.558,
        34.952,
        ["Eilat", "Eilath", "إيلات", "ايلات", "أم الرشراش"],
    ),
    (
        "city:IL:beersheba",
        "locality",
        "Beersheba",
        "IL",
        "admin1:IL.01",
        "",
        31.252,
        34.791,
        ["Beersheba", "Beer Sheva", "Be'er Sheva", "Beersheva", "بئر السبع"],
    ),
    (
        "city:IL:ashkelon",
        "locality",
        "Ashkelon",
        "IL",
        "admin1:IL.01",
        "",
        31.669,
        34.571,
        ["Ashkelon", "Ashqelon", "Ascalon", "عسقلان"],
    ),
    (
        "city:IL:ashdod",
        "locality",
        "Ashdod",
        "IL",
        "admin1:IL.01",
        "",
        31.804,
        34.655,
        ["Ashdod", "أسدود", "اسدود"],
    ),
    (
        "city:IL:sderot",
        "locality",
        "Sderot",
        "IL",
        "admin1:IL.01",
        "",
        31.525,
        34.597,
        ["Sderot", "سديروت"],
    ),
    (
        "place:IL:galilee",
        "locality",
        "Galilee",
        "IL",
        "admin1:IL.03",
        "",
        32.9,
        35.4,
        [
            "Galilee",
            "Upper Galilee",
            "Western Galilee",
            "Galilée",
            "الجليل",
            "الجليل الأعلى",
            "الجليل الغربي",
        ],
    ),
    # --- Palestine
    (
        "city:PS:gaza-city",
        "locality",
        "Gaza City",
        "PS",
        "PS02",
        "",
        31.502,
        34.467,
        ["Gaza City", "ville de Gaza", "مدينة غزة"],
    ),
    ("city:PS:rafah", "locality", "Rafah", "PS", "PS02", "", 31.297, 34.245, ["Rafah", "رفح"]),
    (
        "city:PS:khan-younis",
        "locality",
        "Khan Younis",
        "PS",
        "PS02",
        "",
        31.346,
        34.306,
        ["Khan Younis", "Khan Yunis", "Khan Younès", "خان يونس"],
    ),
    (
        "city:PS:deir-al-balah",
        "locality",
        "Deir al-Balah",
        "PS",
        "PS02",
        "",
        31.417,
        34.350,
        ["Deir al-Balah", "Deir el-Balah", "Deir al Balah", "دير البلح"],
    ),
    (
        "city:PS:jabalia",
        "locality",
        "Jabalia",
        "PS",
        "PS02",
        "",
        31.528,
        34.483,
        ["Jabalia", "Jabaliya", "Jabalya", "جباليا"],
    ),
    (
        "city:PS:jenin",
        "locality",
        "Jenin",
        "PS",
        "PS01",
        "",
        32.461,
        35.300,
        ["Jenin", "Jénine", "جنين"],
    ),
    (
        "city:PS:nablus",
        "locality",
        "Nablus",
        "PS",
        "PS01",
        "",
        32.222,
        35.262,
        ["Nablus", "Naplouse", "نابلس"],
    ),
    (
        "city:PS:ramallah",
        "locality",
        "Ramallah",
        "PS",
        "PS01",
        "",
        31.903,
        35.204,
        ["Ramallah", "رام الله"],
    ),
    (
        "city:PS:hebron",
        "locality",
        "Hebron",
        "PS",
        "PS01",
        "",
        31.532,
        35.095,
        ["Hebron", "Hébron", "Al-Khalil", "الخليل"],
    ),
    (
        "city:PS:tulkarm",
        "locality",
        "Tulkarm",
        "PS",
        "PS01",
        "",
        32.311,
        35.028,
        ["Tulkarm", "Tulkarem", "Tulkarem", "Tulkarem", "طولكرم"],
    ),
    (
        "city:PS:bethlehem",
        "locality",
        "Bethlehem",
        "PS",
        "PS01",
        "",
        31.705,
        35.202,
        ["Bethlehem", "Bethléem", "بيت لحم"],
    ),
    # --- Jordan
    (
        "city:JO:amman",
        "locality",
        "Amman",
        "JO",
        "admin1:JO.16",
        "",
        31.956,
        35.945,
        ["Amman", "عمان", "عمّان"],
    ),
    (
        "city:JO:irbid",
        "locality",
        "Irbid",
        "JO",
        "admin1:JO.18",
        "",
        32.556,
        35.850,
        ["Irbid", "إربد", "اربد"],
    ),
    (
        "city:JO:zarqa",
        "locality",
        "Zarqa",
        "JO",
        "admin1:JO.17",
        "",
        32.072,
        36.088,
        ["Zarqa", "Zarka", "الزرقاء"],
    ),
    (
        "city:JO:aqaba",
        "locality",
        "Aqaba",
        "JO",
        "admin1:JO.21",
        "",
        29.532,
        35.006,
        ["Aqaba", "Akaba", "العقبة"],
    ),
    # --- Iraq
    (
        "city:IQ:baghdad",
        "locality",
        "Baghdad",
        "IQ",
        "admin1:IQ.07",
        "",
        33.315,
        44.366,
        ["Baghdad", "Bagdad", "بغداد"],
    ),
    (
        "city:IQ:basra",
        "locality",
        "Basra",
        "IQ",
        "admin1:IQ.02",
        "",
        30.508,
        47.783,
        ["Basra", "Basrah", "Bassora", "البصرة"],
    ),
    (
        "city:IQ:mosul",
        "locality",
        "Mosul",
        "IQ",
        "admin1:IQ.15",
        "",
        36.340,
        43.130,
        ["Mosul", "Mossoul", "الموصل"],
    ),
    (
        "city:IQ:erbil",
        "locality",
        "Erbil",
        "IQ",
        "admin1:IQ.11",
        "",
        36.191,
        44.009,
        ["Erbil", "Arbil", "Irbil", "أربيل", "اربيل"],
    ),
    (
        "city:IQ:kirkuk",
        "locality",
        "Kirkuk",
        "IQ",
        "admin1:IQ.13",
        "",
        35.468,
        44.392,
        ["Kirkuk", "Kirkouk", "كركوك"],
    ),
    (
        "city:IQ:najaf",
        "locality",
        "Najaf",
        "IQ",
        "admin1:IQ.17",
        "",
        32.000,
        44.336,
        ["Najaf", "Nadjaf", "النجف"],
    ),
    (
        "city:IQ:karbala",
        "locality",
        "Karbala",
        "IQ",
        "admin1:IQ.12",
        "",
        32.616,
        44.024,
        ["Karbala", "Kerbala", "Kerbela", "كربلاء"],
    ),
    # --- Iran
    (
        "city:IR:tehran",
        "locality",
        "Tehran",
        "IR",
        "admin1:IR.26",
        "",
        35.689,
        51.389,
        ["Tehran", "Teheran", "Téhéran", "طهران"],
    ),
    (
        "city:IR:isfahan",
        "locality",
        "Isfahan",
        "IR",
        "admin1:IR.28",
        "",
        32.652,
        51.668,
        ["Isfahan", "Esfahan", "Ispahan", "أصفهان", "اصفهان"],
    ),
    (
        "city:IR:mashhad",
        "locality",
        "Mashhad",
        "IR",
        "admin1:IR.42",
        "",
        36.297,
        59.606,
        ["Mashhad", "Mechhed", "مشهد"],
    ),
    (
        "city:IR:qom",
        "locality",
        "Qom",
        "IR",
        "admin1:IR.39",
        "",
        34.640,
        50.876,
        ["Qom", "Qum", "Ghom"],
    ),
    (
        "city:IR:tabriz",
        "locality",
        "Tabriz",
        "IR",
        "admin1:IR.33",
        "",
        38.080,
        46.292,
        ["Tabriz", "تبريز"],
    ),
    (
        "city:IR:shiraz",
        "locality",
        "Shiraz",
        "IR",
        "admin1:IR.07",
        "",
        29.592,
        52.584,
        ["Shiraz", "Chiraz", "شيراز"],
    ),
    (
        "city:IR:bandar-abbas",
        "locality",
        "Bandar Abbas",
        "IR",
        "admin1:IR.11",
        "",
        27.183,
        56.267,
        ["Bandar Abbas", "بندر عباس"],
    ),
    (
        "city:IR:natanz",
        "locality",
        "Natanz",
        "IR",
        "admin1:IR.28",
        "",
        33.511,
        51.916,
        ["Natanz", "نطنز"],
    ),
    # --- Cyprus
    (
        "city:CY:nicosia",
        "locality",
        "Nicosia",
        "CY",
        "admin1:CY.04",
        "",
        35.185,
        33.382,
        ["Nicosia", "Nicosie", "Lefkosia", "نيقوسيا"],
    ),
    (
        "city:CY:larnaca",
        "locality",
        "Larnaca",
        "CY",
        "admin1:CY.03",
        "",
        34.917,
        33.623,
        ["Larnaca", "Larnaka", "لارنكا", "لارنكا"],
    ),
    (
        "city:CY:limassol",
        "locality",
        "Limassol",
        "CY",
        "admin1:CY.05",
        "",
        34.684,
        33.038,
        ["Limassol", "Lemesos", "ليماسول"],
    ),
    # --- wider region and capitals often named in the news
    (
        "city:EG:cairo",
        "locality",
        "Cairo",
        "EG",
        "",
        "",
        30.044,
        31.236,
        ["Cairo", "Le Caire", "القاهرة"],
    ),
    (
        "city:TR:istanbul",
        "locality",
        "Istanbul",
        "TR",
        "",
        "",
        41.008,
        28.978,
        ["Istanbul", "Stamboul", "إسطنبول", "اسطنبول"],
    ),
    (
        "city:TR:ankara",
        "locality",
        "Ankara",
        "TR",
        "",
        "",
        39.933,
        32.860,
        ["Ankara", "أنقرة", "انقرة"],
    ),
    (
        "city:SA:riyadh",
        "locality",
        "Riyadh",
        "SA",
        "",
        "",
        24.713,
        46.675,
        ["Riyadh", "Riyad", "الرياض"],
    ),
    (
        "city:SA:jeddah",
        "locality",
        "Jeddah",
        "SA",
        "",
        "",
        21.543,
        39.173,
        ["Jeddah", "Djeddah", "Jiddah", "جدة"],
    ),
    ("city:QA:doha", "locality", "Doha", "QA", "", "", 25.285, 51.531, ["Doha", "الدوحة"]),
    (
        "city:AE:abu-dhabi",
        "locality",
        "Abu Dhabi",
        "AE",
        "",
        "",
        24.454,
        54.377,
        ["Abu Dhabi", "Abou Dhabi", "أبوظبي", "أبو ظبي", "ابوظبي"],
    ),
    ("city:AE:dubai", "locality", "Dubai", "AE", "", "", 25.205, 55.271, ["Dubai", "Dubaï", "دبي"]),
    (
        "city:KW:kuwait-city",
        "locality",
        "Kuwait City",
        "KW",
        "",
        "",
        29.376,
        47.977,
        ["Kuwait City", "مدينة الكويت"],
    ),
    (
        "city:OM:muscat",
        "locality",
        "Muscat",
        "OM",
        "",
        "",
        23.588,
        58.383,
        ["Muscat", "Mascate", "مسقط"],
    ),
    ("city:BH:manama", "locality", "Manama", "BH", "", "", 26.228, 50.586, ["Manama", "المنامة"]),
    (
        "city:YE:sanaa",
        "locality",
        "Sanaa",
        "YE",
        "",
        "",
        15.369,
        44.191,
        ["Sanaa", "Sana'a", "Sana", "صنعاء"],
    ),
    (
        "city:YE:hodeidah",
        "locality",
        "Hodeidah",
        "YE",
        "",
        "",
        14.798,
        42.954,
        ["Hodeidah", "Hudaydah", "Hodeida", "Hodeïda", "الحديدة"],
    ),
    ("city:YE:aden", "locality", "Aden", "YE", "", "", 12.786, 45.019, ["Aden", "عدن"]),
    (
        "city:LY:tripoli",
        "locality",
        "Tripoli (Libya)",
        "LY",
        "",
        "",
        32.887,
        13.191,
        [
            "Tripoli, Libya",
            "Tripoli (Libya)",
            "Libyan capital Tripoli",
            "Tripoli de Libye",
            "طرابلس الغرب",
            "طرابلس الليبية",
        ],
    ),
    (
        "city:US:washington",
        "locality",
        "Washington",
        "US",
        "",
        "",
        38.907,
        -77.037,
        ["Washington", "Washington, D.C.", "Washington DC", "واشنطن"],
    ),
    (
        "city:US:new-york",
        "locality",
        "New York",
        "US",
        "",
        "",
        40.713,
        -74.006,
        ["New York", "New York City", "نيويورك"],
    ),
    ("city:FR:paris", "locality", "Paris", "FR", "", "", 48.857, 2.352, ["Paris", "باريس"]),
    (
        "city:GB:london",
        "locality",
        "London",
        "GB",
        "",
        "",
        51.507,
        -0.128,
        ["London", "Londres", "لندن"],
    ),
    (
        "city:RU:moscow",
        "locality",
        "Moscow",
        "RU",
        "",
        "",
        55.756,
        37.617,
        ["Moscow", "Moscou", "موسكو"],
    ),
    (
        "city:BE:brussels",
        "locality",
        "Brussels",
        "BE",
        "",
        "",
        50.850,
        4.352,
        ["Brussels", "Bruxelles", "بروكسل"],
    ),
    (
        "city:CH:geneva",
        "locality",
        "Geneva",
        "CH",
        "",
        "",
        46.204,
        6.143,
        ["Geneva", "Genève", "Geneve", "جنيف"],
    ),
    ("city:DE:berlin", "locality", "Berlin", "DE", "", "", 52.520, 13.405, ["Berlin", "برلين"]),
    ("city:IT:rome", "locality", "Rome", "IT", "", "", 41.903, 12.496, ["Rome", "Roma", "روما"]),
    (
        "city:CN:beijing",
        "locality",
        "Beijing",
        "CN",
        "",
        "",
        39.904,
        116.407,
        ["Beijing", "Pékin", "Pekin", "بكين"],
    ),
]


# --------------------------------------------------------------------------------------------
# Reading the inputs
# --------------------------------------------------------------------------------------------
GN_FIELDS = [
    "geonameid",
    "name",
    "asciiname",
    "alternatenames",
    "latitude",
    "longitude",
    "feature_class",
    "feature_code",
    "country_code",
    "cc2",
    "admin1",
    "admin2",
    "admin3",
    "admin4",
    "population",
    "elevation",
    "dem",
    "timezone",
    "modification_date",
]


def read_geonames(path: Path) -> dict[int, dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 19:
                raise SystemExit(f"{path}:{number}: expected 19 columns, found {len(parts)}")
            row = dict(zip(GN_FIELDS, parts, strict=True))
            rows[int(row["geonameid"])] = row
    return rows


def read_admin1_codes(path: Path) -> dict[str, tuple[str, str]]:
    out = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            code, name, ascii_name, _ = line.rstrip("\n").split("\t")
            out[code] = (name, ascii_name)
    return out


def read_ocha(path: Path) -> dict[str, dict[str, str]]:
    """P-code -> row, for LBN, SYR and PSE."""
    out = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        expected = {"Location", "Admin Level", "P-Code", "Name", "Parent P-Code"}
        if not expected <= set(reader.fieldnames or []):
            raise SystemExit(f"{path}: unexpected header {reader.fieldnames}")
        for row in reader:
            if row["Location"] in ("LBN", "SYR", "PSE"):
                out[row["P-Code"]] = row
    return out


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------
def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371.0 * math.hypot(x, y)


def geonames_names(row: dict[str, str], *, admin: bool = False) -> list[str]:
    gid = int(row["geonameid"])
    candidates = [row["name"], row["asciiname"], *row["alternatenames"].split(",")]
    dropped = DROP_NAMES.get(gid, set())
    out = []
    for name in candidates:
        name = name.strip()
        if not name or name in dropped or not usable(name):
            continue
        if admin and any(word in fold(name) for word in FOREIGN_ADMIN_WORDS):
            continue
        out.append(name)
    return out


class Builder:
    def __init__(self, shared: Path) -> None:
        self.gn = read_geonames(shared / "geonames" / "LB.txt")
        self.admin1_codes = read_admin1_codes(shared / "geonames" / "admin1CodesASCII.txt")
        self.ocha = read_ocha(shared / "ocha" / "global_pcodes_adm_1_2.csv")
        self.rows: dict[str, dict[str, str]] = {}
        self.notes: list[str] = []
        self.admin1_names: dict[str, str] = {}  # id -> display name of admin1 rows
        self.caza_of_gn: dict[int, str] = {}  # GeoNames ADM2 id -> P-code
        self.populated: set[str] = set()  # ids of GeoNames feature class P rows

    # ---- helpers
    def add(self, **row: str) -> None:
        full = {column: str(row.get(column, "") or "") for column in COLUMNS}
        if full["id"] in self.rows:
            raise AssertionError(f"duplicate id {full['id']}")
        self.rows[full["id"]] = full

    def ocha_name(self, pcode: str) -> str:
        return self.ocha[pcode]["Name"]

    # ---- checks on the inputs and the hand tables
    def check_tables(self) -> None:
        lbn_adm1 = {
            p for p, r in self.ocha.items() if r["Location"] == "LBN" and r["Admin Level"] == "1"
        }
        lbn_adm2 = {
            p for p, r in self.ocha.items() if r["Location"] == "LBN" and r["Admin Level"] == "2"
        }
        assert len(lbn_adm1) == 8, f"expected 8 LBN adm1 in the OCHA list, found {len(lbn_adm1)}"
        assert len(lbn_adm2) == 26, f"expected 26 LBN adm2 in the OCHA list, found {len(lbn_adm2)}"
        # admin-1 mapping: all 8 P-codes, and names agree
        assert {p for p, _ in GN_ADMIN1_TO_PCODE.values()} == lbn_adm1
        for code, (pcode, word) in GN_ADMIN1_TO_PCODE.items():
            assert f"LB.{code}" in self.admin1_codes, f"LB.{code} missing in admin1CodesASCII"
            assert word in fold(self.ocha_name(pcode)).replace("-", " "), (
                f"GeoNames LB.{code} -> {pcode}: OCHA name {self.ocha_name(pcode)!r} "
                f"does not contain {word!r}"
            )
        # caza mapping: all 26 P-codes covered, every GeoNames ADM2 row mapped, parents agree
        assert set(CAZA_TABLE) == lbn_adm2, (
            f"CAZA_TABLE must cover the 26 OCHA districts: missing {lbn_adm2 - set(CAZA_TABLE)}, "
            f"extra {set(CAZA_TABLE) - lbn_adm2}"
        )
        gn_adm2 = {gid for gid, r in self.gn.items() if r["feature_code"] == "ADM2"}
        mapped = [gid for ids in CAZA_TABLE.values() for gid in ids]
        assert len(mapped) == len(set(mapped)), "a GeoNames caza is mapped twice"
        assert set(mapped) == gn_adm2, (
            f"GeoNames ADM2 rows not mapped: {sorted(gn_adm2 - set(mapped))}; "
            f"mapped ids that are not ADM2 rows: {sorted(set(mapped) - gn_adm2)}"
        )
        for pcode, ids in CAZA_TABLE.items():
            parent = self.ocha[pcode]["Parent P-Code"]
            for gid in ids:
                gn_parent = GN_ADMIN1_TO_PCODE[self.gn[gid]["admin1"]][0]
                assert gn_parent == parent, (
                    f"caza {gid} {self.gn[gid]['name']!r} is in GeoNames admin1 {gn_parent}, "
                    f"but {pcode} {self.ocha_name(pcode)!r} is under {parent}"
                )
                self.caza_of_gn[gid] = pcode
        # hand locality -> caza table
        seen: set[int] = set()
        for pcode, ids in LOCALITY_CAZA.items():
            assert pcode in lbn_adm2, f"LOCALITY_CAZA: unknown district {pcode}"
            parent = self.ocha[pcode]["Parent P-Code"]
            for gid in ids:
                assert gid in self.gn, f"LOCALITY_CAZA {pcode}: {gid} is not in LB.txt"
                assert gid not in seen, f"LOCALITY_CAZA: {gid} listed twice"
                seen.add(gid)
                code = self.gn[gid]["admin1"]
                if code in GN_ADMIN1_TO_PCODE:
                    assert GN_ADMIN1_TO_PCODE[code][0] == parent, (
                        f"LOCALITY_CAZA {pcode}: {gid} {self.gn[gid]['name']!r} is in GeoNames "
                        f"admin1 {code}, not under {parent}"
                    )
            points = [(float(self.gn[g]["latitude"]), float(self.gn[g]["longitude"])) for g in ids]
            if len(points) >= 3:
                mlat = statistics.median(p[0] for p in points)
                mlon = statistics.median(p[1] for p in points)
                for gid, (lat, lon) in zip(ids, points, strict=True):
                    far = distance_km(lat, lon, mlat, mlon)
                    limit = 60 if pcode in ("LB21", "LB22", "LB51") else 30
                    assert far < limit, (
                        f"LOCALITY_CAZA {pcode}: {gid} {self.gn[gid]['name']!r} lies {far:.0f} km "
                        f"from the district's other entries"
                    )
        for code in OTHER_ADMIN1:
            assert code in self.admin1_codes, f"OTHER_ADMIN1: {code} not in admin1CodesASCII"

    # ---- rows
    def build_countries(self) -> None:
        for iso, (name, lat, lon, names) in COUNTRIES.items():
            self.add(
                id=f"country:{iso}",
                level="country",
                name=name,
                country=iso,
                lat=f"{lat:g}",
                lon=f"{lon:g}",
                names="|".join(dedupe([name, *names])),
            )

    def build_lebanon_admin(self) -> None:
        gn_by_code = {r["admin1"]: r for r in self.gn.values() if r["feature_code"] == "ADM1"}
        for code, (pcode, _) in GN_ADMIN1_TO_PCODE.items():
            name = self.ocha_name(pcode)
            gn_row = gn_by_code.get(code)
            extra = [
                n
                for n in (geonames_names(gn_row, admin=True) if gn_row else [])
                if script_of(n) == "arabic" or fold(n).startswith(("mohafazat", "muhafazat"))
            ]
            names = [name, *LB_ADMIN1_NAMES[pcode], *extra]
            if pcode in ("LB5", "LB6"):  # bare "North" / "South": too generic to match
                names = [n for n in names if n != name]
            lat, lon = (gn_row["latitude"], gn_row["longitude"]) if gn_row else ("", "")
            self.admin1_names[pcode] = name
            self.add(
                id=pcode,
                level="admin1",
                name=name,
                country="LB",
                admin1=name,
                admin1_pcode=pcode,
                lat=lat,
                lon=lon,
                population=gn_row["population"] if gn_row and gn_row["population"] != "0" else "",
                names="|".join(dedupe(names)),
            )
        for pcode, gids in CAZA_TABLE.items():
            name = self.ocha_name(pcode)
            parent = self.ocha[pcode]["Parent P-Code"]
            english, arabic = LB_ADMIN2_NAMES[pcode]
            names = [
                name,
                *english,
                f"{english[0]} District",
                f"{english[0]} caza",
                *arabic,
                f"قضاء {arabic[0]}",
            ]
            for gid in gids:
                names += geonames_names(self.gn[gid], admin=True)
            first = self.gn[gids[0]] if gids else self.gn[276781]  # Beirut: the city's point
            self.add(
                id=pcode,
                level="admin2",
                name=name,
                country="LB",
                admin1=self.ocha_name(parent),
                admin1_pcode=parent,
                admin2=name,
                admin2_pcode=pcode,
                lat=first["latitude"],
                lon=first["longitude"],
                names="|".join(dedupe(names)),
            )

    def build_neighbour_admin(self) -> None:
        for pcode, names in NEIGHBOUR_PCODE_NAMES.items():
            row = self.ocha[pcode]
            assert row["Admin Level"] == "1", pcode
            country = {"SYR": "SY", "PSE": "PS"}[row["Location"]]
            self.admin1_names[pcode] = row["Name"]
            self.add(
                id=pcode,
                level="admin1",
                name=row["Name"],
                country=country,
                admin1=row["Name"],
                admin1_pcode=pcode,
                names="|".join(dedupe([row["Name"], *names])),
            )
        missing = {
            p
            for p, r in self.ocha.items()
            if r["Admin Level"] == "1" and r["Location"] in ("SYR", "PSE")
        } - set(NEIGHBOUR_PCODE_NAMES)
        assert not missing, f"SYR/PSE governorates without names: {sorted(missing)}"
        for code, (gn_name, ascii_name) in sorted(self.admin1_codes.items()):
            country = code.split(".")[0]
            if country not in OTHER_ADMIN1_COUNTRIES:
                continue
            display, extra, keep_bare = OTHER_ADMIN1.get(code, (None, [], True))
            display = display or ascii_name
            bare = [n for n in (ascii_name, gn_name) if usable(n)] if keep_bare else []
            ident = f"admin1:{code}"
            self.admin1_names[ident] = display
            names = [*bare, *extra]
            if keep_bare or display not in (ascii_name, gn_name):
                names.insert(0, display)
            self.add(
                id=ident,
                level="admin1",
                name=display,
                country=country,
                admin1=display,
                admin1_pcode=ident,
                names="|".join(dedupe(names)),
            )

    def selected_localities(self) -> list[dict[str, str]]:
        out = []
        for gid, row in self.gn.items():
            code = f"{row['feature_class']}.{row['feature_code']}"
            if gid in FEATURE_EXCLUDE:
                continue
            if row["feature_class"] == "P" or code in FEATURE_CODES or gid in FEATURE_IDS:
                out.append(row)
        return out

    def build_localities(self) -> None:
        selected = self.selected_localities()
        caza_of_locality = {gid: p for p, ids in LOCALITY_CAZA.items() for gid in ids}
        selected_ids = {int(r["geonameid"]) for r in selected}
        not_selected = sorted(set(caza_of_locality) - selected_ids)
        assert not not_selected, f"LOCALITY_CAZA lists rows that are not localities: {not_selected}"
        # admin-1 of places GeoNames leaves without one: from the hand caza table, else from the
        # 5 nearest populated places when they all agree.
        known = [
            (float(r["latitude"]), float(r["longitude"]), r["admin1"])
            for r in selected
            if r["feature_class"] == "P" and r["admin1"] in GN_ADMIN1_TO_PCODE
        ]
        inferred: dict[int, str] = {}
        dropped: list[str] = []
        for row in selected:
            gid = int(row["geonameid"])
            if row["admin1"] in GN_ADMIN1_TO_PCODE:
                continue
            if gid in FEATURE_ADMIN1:
                inferred[gid] = FEATURE_ADMIN1[gid][0]
                continue
            if gid in caza_of_locality:
                inferred[gid] = self.ocha[caza_of_locality[gid]]["Parent P-Code"]
                self.notes.append(f"admin1 from the caza table: {gid} {row['name']}")
                continue
            if row["feature_class"] != "P":
                self.notes.append(f"no admin1 (feature spans several units): {gid} {row['name']}")
                continue
            here = (float(row["latitude"]), float(row["longitude"]))
            nearest = sorted(known, key=lambda k: distance_km(*here, k[0], k[1]))[:9]
            votes = Counter(k[2] for k in nearest)
            ((best, count),) = votes.most_common(1)
            if len({k[2] for k in nearest[:5]}) == 1 or count >= 7:
                inferred[gid] = GN_ADMIN1_TO_PCODE[best][0]
                self.notes.append(
                    f"admin1 from the nearest places: {gid} {row['name']} -> "
                    f"{inferred[gid]} ({count} of 9 neighbours)"
                )
            else:
                dropped.append(f"{gid} {row['name']} (nearest places split {dict(votes)})")
        for text in dropped:
            self.notes.append(f"DROPPED, admin1 unknown: {text}")

        empty_names = 0
        for row in selected:
            gid = int(row["geonameid"])
            if any(text.startswith(f"{gid} ") for text in dropped):
                continue
            pcode1 = (
                GN_ADMIN1_TO_PCODE[row["admin1"]][0]
                if row["admin1"] in GN_ADMIN1_TO_PCODE
                else inferred.get(gid, "")
            )
            pcode2 = ""
            if row["admin2"]:
                pcode2 = self.caza_of_gn.get(int(row["admin2"]), "")
                assert pcode2, f"{gid}: admin2 code {row['admin2']} is not a mapped caza"
            if gid in caza_of_locality:
                assert not pcode2 or pcode2 == caza_of_locality[gid], (
                    f"{gid}: GeoNames says {pcode2}, LOCALITY_CAZA says {caza_of_locality[gid]}"
                )
                pcode2 = caza_of_locality[gid]
            if not pcode2 and pcode1:
                districts = [p for p, r in self.ocha.items() if r["Parent P-Code"] == pcode1]
                if len(districts) == 1:  # Beirut -> LB11, Akkar -> LB51
                    pcode2 = districts[0]
            if pcode2:
                assert self.ocha[pcode2]["Parent P-Code"] == pcode1, (gid, pcode1, pcode2)
            display = DISPLAY_NAMES.get(gid) or row["asciiname"] or row["name"]
            names = geonames_names(row)
            if gid in DISPLAY_NAMES or usable(display):
                names = [display, *names]
            names = dedupe(names)
            if not names:
                empty_names += 1
            population = row["population"] if row["population"] not in ("", "0") else ""
            lat, lon = row["latitude"], row["longitude"]
            if gid in FEATURE_ADMIN1 and FEATURE_ADMIN1[gid][1] is not None:
                lat, lon = f"{FEATURE_ADMIN1[gid][1]:g}", f"{FEATURE_ADMIN1[gid][2]:g}"
            if row["feature_class"] == "P":
                self.populated.add(f"geonames:{gid}")
            self.add(
                id=f"geonames:{gid}",
                level="locality",
                name=display,
                country=row["country_code"],
                admin1=self.ocha_name(pcode1) if pcode1 else "",
                admin1_pcode=pcode1,
                admin2=self.ocha_name(pcode2) if pcode2 else "",
                admin2_pcode=pcode2,
                lat=lat,
                lon=lon,
                population=population,
                names="|".join(names),
            )
        self.notes.append(
            f"localities left without any matchable name (generic or too short "
            f"names only): {empty_names}"
        )

    def build_hand_places(self) -> None:
        for ident, level, name, country, admin1, admin2, lat, lon, names in HAND_PLACES:
            assert ident.startswith(("city:", "place:")), ident
            assert f"country:{country}" in self.rows, f"{ident}: country {country} missing"
            if admin1:
                assert admin1 in self.admin1_names, f"{ident}: admin1 {admin1} missing"
            if admin2:
                assert self.ocha[admin2]["Parent P-Code"] == admin1, (ident, admin1, admin2)
            self.add(
                id=ident,
                level=level,
                name=name,
                country=country,
                admin1=self.admin1_names.get(admin1, ""),
                admin1_pcode=admin1,
                admin2=self.ocha_name(admin2) if admin2 else "",
                admin2_pcode=admin2,
                lat=f"{lat:g}",
                lon=f"{lon:g}",
                names="|".join(dedupe([name, *names])),
            )

    def drop_shared_names(self) -> None:
        """Remove from GeoNames Lebanese localities the names of countries and foreign places."""
        foreign = {
            fold(n)
            for r in self.rows.values()
            if r["country"] != "LB" or r["level"] == "country"
            for n in r["names"].split("|")
            if n
        }
        keep = {fold(n) for n in KEEP_SHARED_NAMES}
        for row in self.rows.values():
            if not row["id"].startswith("geonames:") or row["country"] != "LB":
                continue
            names = row["names"].split("|") if row["names"] else []
            kept = [n for n in names if fold(n) not in foreign or fold(n) in keep]
            for name in sorted(set(names) - set(kept)):
                self.notes.append(f"name shared with a foreign place removed: {row['id']} {name}")
            row["names"] = "|".join(kept)

    def build(self) -> list[dict[str, str]]:
        self.check_tables()
        self.build_countries()
        self.build_lebanon_admin()
        self.build_neighbour_admin()
        self.build_localities()
        self.build_hand_places()
        self.infer_districts()
        self.drop_shared_names()
        return self.sorted_rows()

    def infer_districts(self) -> None:
        """GeoNames gives few localities a district. A Lebanese locality without one takes the
        district of its nearest localities that have one, in the same governorate: the five
        nearest within INFER_KM, weighted by closeness, when one district has INFER_SHARE of the
        weight. Marked admin2_inferred = 1. Leave-one-out on the localities whose district is
        known, in governorates of several districts: 96% right at 95% coverage (measured when
        this was written)."""
        known = [
            r
            for r in self.rows.values()
            if r["country"] == "LB" and r["level"] == "locality" and r["admin2_pcode"] and r["lat"]
        ]
        names = {r["admin2_pcode"]: r["admin2"] for r in known}
        inferred = 0
        for row in self.rows.values():
            if row["country"] != "LB" or row["level"] != "locality" or row["admin2_pcode"]:
                continue
            if not row["lat"] or not row["admin1_pcode"]:
                continue
            lat, lon = float(row["lat"]), float(row["lon"])
            near = sorted(
                (distance_km(lat, lon, float(k["lat"]), float(k["lon"])), k["admin2_pcode"])
                for k in known
                if k["admin1_pcode"] == row["admin1_pcode"]
            )[:INFER_NEIGHBOURS]
            weights: dict[str, float] = {}
            for km, pcode in near:
                if km <= INFER_KM:
                    weights[pcode] = weights.get(pcode, 0.0) + 1 / (km + 0.5)
            if not weights:
                continue
            best = max(weights, key=lambda p: weights[p])
            if weights[best] / sum(weights.values()) >= INFER_SHARE:
                row["admin2_pcode"], row["admin2"] = best, names[best]
                row["admin2_inferred"] = "1"
                inferred += 1
        self.notes.append(f"districts inferred from neighbouring localities: {inferred}")

    def sorted_rows(self) -> list[dict[str, str]]:
        def key(row: dict[str, str]) -> tuple[object, ...]:
            lb = row["country"] != "LB"
            sub = int(row["id"].split(":")[1]) if row["id"].startswith("geonames:") else 0
            return (
                LEVEL_ORDER[row["level"]],
                lb,
                row["country"],
                row["admin1_pcode"],
                row["admin2_pcode"],
                fold(row["name"]),
                sub,
                row["id"],
            )

        return sorted(self.rows.values(), key=key)


# --------------------------------------------------------------------------------------------
# Validation of the result and of the hand-written files
# --------------------------------------------------------------------------------------------
def read_tsv(path: Path, header: list[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if reader.fieldnames != header:
            raise SystemExit(f"{path}: header must be {header}, found {reader.fieldnames}")
        rows = list(reader)
    for number, row in enumerate(rows, 2):
        if None in row or any(v is None for v in row.values()):
            raise SystemExit(f"{path}:{number}: wrong number of columns")
    return rows


def validate(
    rows: list[dict[str, str]], ocha: dict[str, dict[str, str]], populated: set[str]
) -> list[str]:
    ids = {r["id"] for r in rows}
    for row in rows:
        for column, value in row.items():
            assert not re.search(r"[\t\r\n]", value), (row["id"], column, value)
            if column != "names":
                assert "|" not in value, (row["id"], column, value)
        assert row["level"] in LEVEL_ORDER, row
        for name in row["names"].split("|") if row["names"] else []:
            assert name and name == name.strip(), (row["id"], name)
        if row["admin1_pcode"]:
            assert row["admin1_pcode"] in ids, (row["id"], row["admin1_pcode"])
        if row["admin2_pcode"]:
            assert row["admin2_pcode"] in ids, (row["id"], row["admin2_pcode"])
    lb_localities = [
        r
        for r in rows
        if r["id"] in populated
        or (
            r["level"] == "locality"
            and r["country"] == "LB"
            and not r["id"].startswith("geonames:")
        )
    ]
    no_admin1 = [r["id"] for r in lb_localities if not r["admin1_pcode"]]
    lbn_adm2 = {p for p, r in ocha.items() if r["Location"] == "LBN" and r["Admin Level"] == "2"}
    assert lbn_adm2 <= ids, f"LB districts missing from places: {lbn_adm2 - ids}"
    return no_admin1


def check_aliases(path: Path, ids: set[str]) -> list[dict[str, str]]:
    rows = read_tsv(path, ["target_id", "names", "note"])
    problems = []
    for number, row in enumerate(rows, 2):
        if row["target_id"] not in ids:
            problems.append(f"{path.name}:{number}: target {row['target_id']!r} is not in places")
        names = row["names"].split("|")
        if not all(n and n == n.strip() for n in names):
            problems.append(f"{path.name}:{number}: empty or padded name in {row['names']!r}")
    if problems:
        raise SystemExit("alias check failed:\n  " + "\n  ".join(problems))
    return rows


def check_demonyms(path: Path, countries: set[str]) -> list[dict[str, str]]:
    rows = read_tsv(path, ["country", "names"])
    problems = []
    seen = set()
    for number, row in enumerate(rows, 2):
        if row["country"] not in countries:
            problems.append(f"{path.name}:{number}: country {row['country']!r} not in places")
        if row["country"] in seen:
            problems.append(f"{path.name}:{number}: country {row['country']!r} listed twice")
        seen.add(row["country"])
        if not all(n and n == n.strip() for n in row["names"].split("|")):
            problems.append(f"{path.name}:{number}: empty or padded name")
    if problems:
        raise SystemExit("demonym check failed:\n  " + "\n  ".join(problems))
    return rows


def write_places(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("\t".join(COLUMNS) + "\n")
        for row in rows:
            handle.write("\t".join(row[c] for c in COLUMNS) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="folder with geonames/ and ocha/ (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    parser.add_argument("--verbose", "-v", action="store_true", help="print the build notes")
    args = parser.parse_args(argv)

    builder = Builder(args.shared)
    rows = builder.build()
    no_admin1 = validate(rows, builder.ocha, builder.populated)
    ids = {r["id"] for r in rows}
    countries = {r["country"] for r in rows if r["level"] == "country"}
    aliases = check_aliases(args.out / "aliases.tsv", ids)
    demonyms = check_demonyms(args.out / "demonyms.tsv", countries)

    counts = Counter((r["level"], r["country"] == "LB") for r in rows)
    lb_loc = [r for r in rows if r["level"] == "locality" and r["country"] == "LB"]
    print(f"places: {len(rows)} rows")
    for level in LEVEL_ORDER:
        lebanon, other = counts[(level, True)], counts[(level, False)]
        print(f"  {level:8s} Lebanon {lebanon:5d}   other {other:4d}")
    print(
        f"  LB localities with admin2: {sum(1 for r in lb_loc if r['admin2_pcode'])}"
        f" of {len(lb_loc)}; populated places without admin1: {len(no_admin1)}"
    )
    print(f"  names: {sum(len(r['names'].split('|')) for r in rows if r['names'])}")
    print(f"aliases: {len(aliases)} rows; demonyms: {len(demonyms)} rows")
    for note in builder.notes:
        if args.verbose or note.startswith(("DROPPED", "localities left")):
            print("note:", note)
    if no_admin1:
        print(f"ERROR: Lebanese localities without admin1: {no_admin1}", file=sys.stderr)
        return 1
    if not args.check:
        write_places(rows, args.out / "places.tsv")
        print(f"wrote {args.out / 'places.tsv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
