"""Compose the labelled comment set ``pii_comments.jsonl`` (run once; the file is committed).

Citizens' comments about the police in kk, ru and en, written as sentences a person would type,
each with the personal data it holds (``pii``: kind and the literal substring) and the
ordinary numbers and words that must stay (``keep``: kind and literal). The personal data are
invented (checksums valid where the real ones have one) and written in the forms found in the
outside test of issue #17: separators ``_ / , . space -``, a letter O for zero, full-width
digits, +7/8/7 prefixes, a digit spelled out, e-mail addresses spelled out (``at``/``dot``,
``собака``/``точка``, ``айқұлақ``/``нүкте``, ``[at]``, ``(at)``). A fixed seed makes the file
reproducible: ``python -m tests.privacy.compose_pii_comments``.

Kinds: phone, email, iin, id_card (9 digits), passport (N and 8 digits), card, name. Kept
(negatives): money, date, time, count, precinct, street (house and flat numbers), plate (car
plates are not removed: most are police cars, and moderation reads every comment), emergency
(102, 112).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("pii_comments.jsonl")
rng = random.Random(17)

OPERATORS = ["701", "702", "705", "707", "708", "747", "771", "775", "777", "778"]


def _digits(n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _with_zero(body: str) -> str:
    """Make sure a number holds a zero (for the letter-O forms)."""
    return body if "0" in body else body[:-1] + "0"


def phone() -> str:
    op = rng.choice(OPERATORS)
    a, b, c = _digits(3), _digits(2), _digits(2)
    form = rng.randrange(16)
    if form == 0:
        return f"+7 {op} {a} {b} {c}"
    if form == 1:
        return f"8 ({op}) {a}-{b}-{c}"
    if form == 2:
        return f"8{op}{a}{b}{c}"
    if form == 3:
        return f"+7{op}{a}{b}{c}"
    if form == 4:
        return f"8_{op}_{a}_{b}_{c}"
    if form == 5:
        return f"8/{op}/{a}/{b}/{c}"
    if form == 6:
        return f"8,{op},{a},{b},{c}"
    if form == 7:
        return f"8.{op}.{a}.{b}.{c}"
    if form == 8:
        return f"7-{op}-{a}-{b}-{c}"
    if form == 9:  # letter O (Latin or Cyrillic) for zero
        letter = rng.choice("OОoо")
        return f"8 {op} {_with_zero(a)} {b} {c}".replace("0", letter)
    if form == 10:
        letter = rng.choice("OО")
        return f"8{op}{_with_zero(a)}{b}{c}".replace("0", letter)
    if form == 11:  # full-width digits
        plain = f"8{op}{a}{b}{c}"
        return "".join(chr(ord(d) - 0x30 + 0xFF10) for d in plain)
    if form == 12:
        return f"+7({op}){a}{b}{c}"
    if form == 13:
        return f"8 {op} {a}{b}{c}"
    if form == 14:  # a city number
        return f"8 (7172) {_digits(2)}-{_digits(2)}-{_digits(2)}"
    return f"+7 {op} {a} {b}{c}"


SPELLED_EIGHT = {"ru": "восемь", "kk": "сегіз", "en": "eight"}


def spelled_phone(lang: str) -> str:
    return f"{SPELLED_EIGHT[lang]} {rng.choice(OPERATORS)} {_digits(3)} {_digits(2)} {_digits(2)}"


LOCALS = ["ivan.petrov", "aigerim88", "serik_k", "nurlan.a", "olga1975", "dana_m", "marat.b"]
LOCALS_CYR = ["иван", "айгерим", "серик", "нурлан", "ольга", "марат"]
DOMAINS = [("mail", "ru"), ("gmail", "com"), ("yandex", "kz"), ("inbox", "ru"), ("list", "ru")]
DOMAINS_CYR = [("мейл", "ру"), ("джимейл", "ком"), ("яндекс", "кз")]


def email(lang: str) -> str:
    local = rng.choice(LOCALS)
    host, tld = rng.choice(DOMAINS)
    form = rng.randrange(9)
    if form == 0:
        return f"{local}@{host}.{tld}"
    if form == 1:
        return f"{local} at {host} dot {tld}"
    if form == 2:
        return f"{local} [at] {host} [dot] {tld}"
    if form == 3:
        return f"{local}(at){host}(dot){tld}"
    if form == 4:
        return f"{local} @ {host} . {tld}"
    if form == 5:
        word_at = {"ru": "собака", "kk": "айқұлақ", "en": "at"}[lang]
        word_dot = {"ru": "точка", "kk": "нүкте", "en": "dot"}[lang]
        return f"{local} {word_at} {host} {word_dot} {tld}"
    if form == 6:
        cl = rng.choice(LOCALS_CYR)
        ch, ct = rng.choice(DOMAINS_CYR)
        word_at, word_dot = rng.choice([("собака", "точка"), ("айқұлақ", "нүкте")])
        return f"{cl} {word_at} {ch} {word_dot} {ct}"
    if form == 7:
        return f"{local}＠{host}.{tld}"
    return f"{local}[at]{host}.{tld}"


def iin_digits() -> str:
    year = rng.randrange(50, 100) if rng.random() < 0.7 else rng.randrange(0, 6)
    century = rng.choice("34") if year >= 50 else rng.choice("56")
    body = f"{year:02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{century}{_digits(4)}"
    for weights in ((1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)):
        check = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        if check != 10:
            return body + str(check)
    return iin_digits()


def iin() -> str:
    d = iin_digits()
    form = rng.randrange(8)
    if form == 0:
        return f"{d[:6]} {d[6:]}"
    if form == 1:
        return f"{d[:4]}-{d[4:8]}-{d[8:]}"
    if form == 2:
        return f"{d[:3]} {d[3:6]} {d[6:9]} {d[9:]}"
    if form == 3:
        return f"{d[:6]}_{d[6:]}"
    if form == 4:
        return "".join(chr(ord(c) - 0x30 + 0xFF10) for c in d)
    if form == 5:
        return _with_zero(d).replace("0", rng.choice("OО"))
    return d


def id_card() -> str:
    d = "0" + _digits(8)
    form = rng.randrange(4)
    if form == 1:
        return f"{d[:3]} {d[3:6]} {d[6:]}"
    return d


def passport() -> str:
    d = _digits(8)
    form = rng.randrange(4)
    if form == 1:
        return f"N {d}"
    if form == 2:
        return f"N{d[:4]} {d[4:]}"
    if form == 3:
        return f"№N{d}"
    return f"N{d}"


def card() -> str:
    prefix = rng.choice(["4400", "4405", "5169", "5522", "4149", "2200"])
    body = prefix + _digits(11)
    total = 0
    for i, char in enumerate(reversed(body)):
        value = int(char)
        if i % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    number = body + str((10 - total % 10) % 10)
    form = rng.randrange(4)
    if form == 0:
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    if form == 1:
        return "-".join(number[i : i + 4] for i in range(0, 16, 4))
    return number


NAMES = {
    "ru": [
        "Иванов",
        "Петров",
        "Сидоренко",
        "Ержан Сериков",
        "Айгуль Нурланова",
        "Асхат Жумабаев",
        "Ольга Викторовна",
        "Кузнецов",
        "Смагулов",
        "Марат Ахметов",
        "Бауыржан Оспанов",
        "Сергей Павлович",
        "Дмитрий Ким",
        "Тимур Исмаилов",
        "Елена Ковалёва",
    ],
    "kk": [
        "Айгүл Нұрланқызы",
        "Ержан Серікұлы",
        "Асқар Төлеуов",
        "Бекзат Нұрмағамбетов",
        "Серік Ахметов",
        "Дәулет Әбілқасымов",
        "Гүлнар Сейітқызы",
        "Нұрлан Жақыпов",
        "Мұхтар Бекмұхамбетов",
        "Қайрат Омаров",
    ],
    "en": [
        "John Smith",
        "Ivanov",
        "Serik Akhmetov",
        "Aigul Nurlanova",
        "Petrov",
        "Yerzhan Serikov",
        "Michael Brown",
        "Dana Mukanova",
        "Kuznetsov",
        "Asel Tokhtarova",
    ],
}

RANK = {
    "ru": ["сержант", "участковый", "лейтенант", "капитан", "майор", "инспектор", "полицейский"],
    "kk": ["сержант", "учаскелік инспектор", "лейтенант", "капитан", "майор", "полицей"],
    "en": ["Sergeant", "Officer", "Lieutenant", "Captain", "Inspector", "Constable"],
}

# Templates: {name}, {phone}, {email}, {iin}, {id_card}, {passport}, {card}; {rank}.
TEMPLATES: dict[str, dict[str, list[str]]] = {
    "ru": {
        "phone": [
            "Звонила участковому несколько раз, никто не перезвонил. Мой номер {phone}, жду.",
            "Соседи шумят каждую ночь, полиция не приезжает. Свяжитесь со мной: {phone}",
            "Прошу перезвонить по {phone}, хочу рассказать о драке у магазина.",
            "тел {phone} — это номер моего брата, его задержали без объяснений",
            "Спасибо патрульным, помогли быстро. Если нужны подробности, пишите в ватсап {phone}",
            "У нас во дворе продают наркотики, сообщите мне, если будете проверять, номер {phone}",
        ],
        "email": [
            "Напишите мне на {email}, расскажу подробнее про участкового.",
            "Ответ прошу прислать на почту {email}",
            "Моя почта {email}, я готова дать показания.",
        ],
        "iin": [
            "Мой ИИН {iin}, заявление так и не зарегистрировали.",
            "Подала жалобу, ИИН {iin}, прошло два месяца — тишина.",
            "Проверьте моё обращение по ИИН {iin}, пожалуйста",
        ],
        "id_card": [
            "При проверке забрали удостоверение личности № {id_card} и не вернули.",
            "Номер моего удостоверения {id_card}, штраф выписали ошибочно.",
            "уд. личности {id_card}, прошу разобраться",
        ],
        "passport": [
            "Паспорт {passport} потеряла, в полиции не приняли заявление.",
            "Мой паспорт {passport}, прошу вернуть документы.",
        ],
        "card": [
            "С моей карты {card} списали деньги мошенники, полиция бездействует.",
            "Мошенники сняли деньги с карты {card}, заявление приняли, но ничего не делают.",
        ],
        "name": [
            "{rank} {name} нагрубил мне при проверке документов.",
            "Хочу поблагодарить сотрудника {name} за помощь, очень вежливо работает.",
            "Участковый {name} ни разу не был у нас во дворе.",
            "{name} из отдела полиции отказался принять заявление.",
            "Огромное спасибо {name}, быстро нашли мой велосипед!",
        ],
    },
    "kk": {
        "phone": [
            "Учаскелік инспекторға бірнеше рет хабарластым, жауап жоқ. Менің нөмірім {phone}",
            "Маған қоңырау шалыңыз: {phone}, көршілер түнде шу шығарады.",
            "Тел {phone}, ауладағы төбелес туралы айтқым келеді.",
            "Патрульдік полицияға рахмет. Қосымша ақпарат керек болса, ватсап {phone}",
            "Хабарласыңыз {phone}, дүкеннің жанында есірткі сатады.",
        ],
        "email": [
            "Жауапты {email} поштасына жіберіңіз.",
            "Менің поштам {email}, толығырақ жазамын.",
            "Электрондық пошта: {email}",
        ],
        "iin": [
            "Менің ЖСН {iin}, өтінішім тіркелмеді.",
            "Шағым бердім, ЖСН {iin}, екі ай өтті, жауап жоқ.",
            "ЖСН: {iin} бойынша өтінішімді тексеріңізші.",
        ],
        "id_card": [
            "Жеке куәлік № {id_card} тексеру кезінде алынып, қайтарылмады.",
            "Менің жеке куәлігім {id_card}, айыппұл қате салынды.",
        ],
        "passport": [
            "Паспорт {passport} жоғалды, полиция арызды қабылдамады.",
            "Төлқұжат {passport}, құжаттарымды қайтаруды сұраймын.",
        ],
        "card": [
            "Алаяқтар {card} картамнан ақша шешіп алды, полиция ештеңе істемейді.",
            "Картам {card}, ақша ұрланды, арыз қабылданды бірақ нәтиже жоқ.",
        ],
        "name": [
            "{rank} {name} құжат тексергенде дөрекі сөйледі.",
            "{rank} {name} мырзаға көмегі үшін рахмет.",
            "Учаскелік {name} біздің ауланы бір рет те аралаған жоқ.",
            "{name} арызымды қабылдаудан бас тартты.",
            "Көп рахмет {name}, велосипедімді тез тауып берді!",
        ],
    },
    "en": {
        "phone": [
            "Nobody called me back. My number is {phone}, please call.",
            "Call me on {phone} about the fight near the shop.",
            "WhatsApp {phone} if you need details, the patrol was very quick.",
            "phone {phone} - I reported a theft and heard nothing since.",
        ],
        "email": [
            "Please write to {email} with the answer.",
            "My e-mail is {email}, I can give evidence.",
            "Contact: {email}",
        ],
        "iin": [
            "My IIN is {iin}, my complaint was never registered.",
            "IIN {iin} - please check my application.",
        ],
        "id_card": [
            "They took my ID card {id_card} during a check and never returned it.",
            "ID card No. {id_card}, the fine was a mistake.",
        ],
        "passport": [
            "I lost my passport {passport} and the police refused to take the report.",
            "Passport number {passport}, please return my documents.",
        ],
        "card": [
            "Fraudsters took money from my card {card}, the police do nothing.",
            "My card {card} was skimmed at the ATM, nobody investigated.",
        ],
        "name": [
            "{rank} {name} was rude to me during the check.",
            "Many thanks to {rank} {name}, very polite and helpful.",
            "{name} at the station refused to accept my statement.",
            "Our local officer {name} has never visited our street.",
        ],
    },
}

NEGATIVES: dict[str, list[tuple[str, list[tuple[str, str]]]]] = {
    "ru": [
        (
            "Штраф 15 000 тенге выписали за парковку, хотя знака не было.",
            [("money", "15 000 тенге")],
        ),
        ("Заплатил 5000 тг штрафа, считаю несправедливым.", [("money", "5000 тг")]),
        ("Ущерб составил 1 250 000 тенге, дело стоит.", [("money", "1 250 000 тенге")]),
        (
            "Вызвали полицию 12.05.2024 в 22:00, приехали только в 23:40.",
            [("date", "12.05.2024"), ("time", "22:00"), ("time", "23:40")],
        ),
        ("Приехали через 40 минут, это слишком долго.", [("count", "40 минут")]),
        ("Обращалась 3-4 раза, бесполезно.", [("count", "3-4 раза")]),
        ("Участок №5 работает хорошо, спасибо.", [("precinct", "№5")]),
        (
            "Живу на ул. Абая 150, кв. 12 — во дворе нет освещения.",
            [("street", "Абая 150, кв. 12")],
        ),
        ("Патрульная машина 123 ABC 02 стояла на тротуаре.", [("plate", "123 ABC 02")]),
        ("Звонила в 102, ответили через 10 минут.", [("emergency", "102"), ("count", "10 минут")]),
        (
            "В 2023 году обращалась дважды, в 2024 году ещё раз.",
            [("date", "2023"), ("date", "2024")],
        ),
        ("Дом 34/2 по проспекту Республики, подъезд 3, нужна проверка.", [("street", "34/2")]),
        (
            "На митинге было около 200 человек, полиция вела себя корректно.",
            [("count", "200 человек")],
        ),
        ("С 1 по 15 марта 2024 года трижды вызывали наряд.", [("date", "15 марта 2024")]),
        ("Ждали 2 часа 30 минут на посту.", [("count", "2 часа 30 минут")]),
        ("Оценка 8 из 10, стало лучше.", [("count", "8 из 10")]),
        ("Сумма взятки была 50 000 тг, об этом все знают.", [("money", "50 000 тг")]),
        ("УП-12 на Сарыарке закрыт по выходным.", [("precinct", "УП-12")]),
    ],
    "kk": [
        ("Тұраққа 15 000 теңге айыппұл салынды, белгі жоқ еді.", [("money", "15 000 теңге")]),
        (
            "3-ші учаскеде кезек ұзақ, 2 сағат күттім.",
            [("precinct", "3-ші учаске"), ("count", "2 сағат")],
        ),
        (
            "Полицияны 12.05.2024 күні 22:00-де шақырдық.",
            [("date", "12.05.2024"), ("time", "22:00")],
        ),
        ("Абай көшесі 150 үй, 12 пәтер — аулада жарық жоқ.", [("street", "150 үй, 12 пәтер")]),
        ("102-ге хабарластым, 15 минутта келді.", [("emergency", "102"), ("count", "15 минут")]),
        (
            "Тәуелсіздік даңғылы 34/2 маңында көлік 777 KZA 01 тұрды.",
            [("street", "34/2"), ("plate", "777 KZA 01")],
        ),
        ("Бағам 10-нан 7, жақсарды.", [("count", "10-нан 7")]),
        ("Жиналыста 300 адам болды.", [("count", "300 адам")]),
        ("2023 жылы екі рет, 2024 жылы бір рет жүгіндім.", [("date", "2023"), ("date", "2024")]),
        ("Пара 100 000 теңге сұрады, бәрі біледі.", [("money", "100 000 теңге")]),
        ("112-ге қоңырау шалдым, жедел жауап берді.", [("emergency", "112")]),
        ("№7 полиция бөлімі жақсы жұмыс істейді.", [("precinct", "№7")]),
    ],
    "en": [
        ("I was fined 15,000 tenge for parking with no sign.", [("money", "15,000 tenge")]),
        (
            "We called at 22:00 on 12.05.2024 and they came at 23:40.",
            [("time", "22:00"), ("date", "12.05.2024"), ("time", "23:40")],
        ),
        ("Precinct No. 5 is doing well, thanks.", [("precinct", "No. 5")]),
        (
            "I live at 150 Abay Street, flat 12, there is no lighting.",
            [("street", "150 Abay Street, flat 12")],
        ),
        ("The police car 123 ABC 02 was parked on the pavement.", [("plate", "123 ABC 02")]),
        ("I called 102 and waited 45 minutes.", [("emergency", "102"), ("count", "45 minutes")]),
        ("About 200 people were at the rally, the police were fine.", [("count", "200 people")]),
        ("They asked for a $500 bribe.", [("money", "$500")]),
        (
            "I rate them 7 out of 10 this year, better than 2023.",
            [("count", "7 out of 10"), ("date", "2023")],
        ),
        ("Waited 2 hours at the station on 2024-03-01.", [("date", "2024-03-01")]),
    ],
}


def record(lang: str, kind: str) -> dict[str, object]:
    template = rng.choice(TEMPLATES[lang][kind])
    if kind == "phone":
        value = spelled_phone(lang) if rng.random() < 0.08 else phone()
    elif kind == "email":
        value = email(lang)
    elif kind == "name":
        value = rng.choice(NAMES[lang])
    else:
        value = {"iin": iin, "id_card": id_card, "passport": passport, "card": card}[kind]()
    fields = {"name": value, kind: value, "rank": rng.choice(RANK[lang])}
    text = template.format(**fields)
    if template.startswith("{rank}"):
        text = text[0].upper() + text[1:]
    pii = [{"kind": kind, "text": value}]
    keep: list[dict[str, str]] = []
    # Some comments also hold an ordinary number or a name, as real ones do.
    if kind != "name" and rng.random() < 0.25:
        name = rng.choice(NAMES[lang])
        lead = {
            "ru": "Участковый {n} не помог. ",
            "kk": "Учаскелік {n} көмектеспеді. ",
            "en": "Officer {n} did not help. ",
        }[lang]
        text = lead.format(n=name) + text
        pii.append({"kind": "name", "text": name})
    if rng.random() < 0.2:
        extra, kept = rng.choice(NEGATIVES[lang])
        text = f"{text} {extra}"
        keep.extend({"kind": k, "text": t} for k, t in kept)
    return {"lang": lang, "text": text, "pii": pii, "keep": keep}


def main() -> None:
    counts = {
        "phone": 34,
        "email": 18,
        "iin": 14,
        "id_card": 9,
        "passport": 8,
        "card": 8,
        "name": 22,
    }
    weights = {"ru": 1.0, "kk": 1.0, "en": 0.6}
    records: list[dict[str, object]] = []
    for lang, weight in weights.items():
        for kind, count in counts.items():
            records.extend(record(lang, kind) for _ in range(round(count * weight)))
        for text, kept in NEGATIVES[lang]:
            records.append(
                {
                    "lang": lang,
                    "text": text,
                    "pii": [],
                    "keep": [{"kind": k, "text": t} for k, t in kept],
                }
            )
    rng.shuffle(records)
    with OUT.open("w", encoding="utf-8") as out:
        for number, item in enumerate(records, 1):
            out.write(json.dumps({"id": number, **item}, ensure_ascii=False) + "\n")
    print(len(records), "comments written to", OUT)


if __name__ == "__main__":
    main()
