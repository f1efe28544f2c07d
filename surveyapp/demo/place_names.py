"""Real-looking place names for the demonstration precincts, each in Kazakh, with its
Russian and English forms as official texts write them (Kazakh letters transliterated in
Russian, the Russian form romanised in English). Common names of Kazakhstan, none tied to
the region it is given to: the demo's precincts are invented.
"""

from __future__ import annotations

Names = tuple[str, str, str]
"""A place's name in kk, ru and en."""

VILLAGES: tuple[Names, ...] = (
    ("Жаңаталап", "Жанаталап", "Zhanatalap"),
    ("Ақсу", "Аксу", "Aksu"),
    ("Қаратөбе", "Каратобе", "Karatobe"),
    ("Көктөбе", "Коктобе", "Koktobe"),
    ("Қосшы", "Косшы", "Kosshy"),
    ("Сарыкөл", "Сарыколь", "Sarykol"),
    ("Талдыбұлақ", "Талдыбулак", "Taldybulak"),
    ("Бірлік", "Бирлик", "Birlik"),
    ("Жаңажол", "Жанажол", "Zhanazhol"),
    ("Қызылжар", "Кызылжар", "Kyzylzhar"),
    ("Ақтоғай", "Актогай", "Aktogay"),
    ("Тасбұлақ", "Тасбулак", "Tasbulak"),
    ("Қарасу", "Карасу", "Karasu"),
    ("Еңбекші", "Енбекши", "Enbekshi"),
    ("Қайнар", "Кайнар", "Kainar"),
    ("Ынтымақ", "Ынтымак", "Yntymak"),
    ("Бесқұдық", "Бескудук", "Beskuduk"),
    ("Шалқар", "Шалкар", "Shalkar"),
    ("Ақжар", "Акжар", "Akzhar"),
    ("Көкжиек", "Кокжиек", "Kokzhiyek"),
    ("Жайлаукөл", "Жайлауколь", "Zhailaukol"),
    ("Достық", "Достык", "Dostyk"),
    ("Қоғалы", "Когалы", "Kogaly"),
    ("Алғабас", "Алгабас", "Algabas"),
    ("Ақбұлақ", "Акбулак", "Akbulak"),
    ("Жаңаауыл", "Жанаауыл", "Zhanaauyl"),
    ("Үшқоңыр", "Ушконыр", "Ushkonyr"),
    ("Берёзовка", "Берёзовка", "Beryozovka"),
)
"""Villages (the localities of a region's precincts)."""

MICRODISTRICTS: tuple[str, ...] = (
    "Самал",
    "Көктем",
    "Орбита",
    "Ақсай",
    "Шұғыла",
    "Нұркент",
    "Сайран",
    "Жетісу",
    "Құлагер",
    "Мамыр",
    "Таугүл",
    "Асар",
    "Нұрсат",
    "Жұлдыз",
)
"""Micro-districts of a city, by their Kazakh name (see :func:`microdistrict`)."""

_MICRODISTRICT_RU_EN: dict[str, tuple[str, str]] = {
    "Самал": ("Самал", "Samal"),
    "Көктем": ("Коктем", "Koktem"),
    "Орбита": ("Орбита", "Orbita"),
    "Ақсай": ("Аксай", "Aksay"),
    "Шұғыла": ("Шугыла", "Shugyla"),
    "Нұркент": ("Нуркент", "Nurkent"),
    "Сайран": ("Сайран", "Sairan"),
    "Жетісу": ("Жетысу", "Zhetysu"),
    "Құлагер": ("Кулагер", "Kulager"),
    "Мамыр": ("Мамыр", "Mamyr"),
    "Таугүл": ("Таугуль", "Taugul"),
    "Асар": ("Асар", "Asar"),
    "Нұрсат": ("Нурсат", "Nursat"),
    "Жұлдыз": ("Жулдыз", "Zhuldyz"),
}


def microdistrict(name_kk: str, number: int) -> Names:
    """The micro-district ``name_kk`` (numbered from the second round on: Самал-2), as a
    city's official texts name it in kk, ru and en."""
    ru, en = _MICRODISTRICT_RU_EN[name_kk]
    suffix = f"-{number}" if number > 1 else ""
    return (
        f"{name_kk}{suffix} шағын ауданы",
        f"микрорайон {ru}{suffix}",
        f"{en}{suffix} Microdistrict",
    )


STREETS: tuple[Names, ...] = (
    ("Абай даңғылы", "проспект Абая", "Abay Avenue"),
    ("Сәтбаев көшесі", "улица Сатпаева", "Satpayev Street"),
    ("Әуезов көшесі", "улица Ауэзова", "Auezov Street"),
    ("Төле би көшесі", "улица Толе би", "Tole Bi Street"),
    ("Жамбыл көшесі", "улица Жамбыла", "Zhambyl Street"),
    ("Достық даңғылы", "проспект Достык", "Dostyk Avenue"),
    ("Құрманғазы көшесі", "улица Курмангазы", "Kurmangazy Street"),
    ("Желтоқсан көшесі", "улица Желтоксан", "Zheltoksan Street"),
    ("Уәлиханов көшесі", "улица Валиханова", "Valikhanov Street"),
    ("Бұқар жырау даңғылы", "проспект Бухар жырау", "Bukhar Zhyrau Avenue"),
    ("Қабанбай батыр даңғылы", "проспект Кабанбай батыра", "Kabanbay Batyr Avenue"),
    ("Республика даңғылы", "проспект Республики", "Respublika Avenue"),
    ("Сейфуллин көшесі", "улица Сейфуллина", "Seifullin Street"),
    ("Байтұрсынұлы көшесі", "улица Байтурсынулы", "Baitursynuly Street"),
    ("Наурызбай батыр көшесі", "улица Наурызбай батыра", "Nauryzbay Batyr Street"),
    ("Бейбітшілік көшесі", "улица Бейбитшилик", "Beibitshilik Street"),
    ("Тәуелсіздік даңғылы", "проспект Тауелсиздик", "Tauelsizdik Avenue"),
    ("Мұқанов көшесі", "улица Муканова", "Mukanov Street"),
    ("Гагарин көшесі", "улица Гагарина", "Gagarin Street"),
    ("Пушкин көшесі", "улица Пушкина", "Pushkin Street"),
)
"""Streets of a city."""
