"""Vocabularies for the `events`, `eval_runs` and `chat_traces` recipes and the `pii_in_text`
anomaly. Each says where it came from; the rules of `vocab.py` hold here too (personal data is
never real: reserved e-mail domains, phone ranges reserved for fiction, published test cards).
"""

from __future__ import annotations

from datalit.generators.vocab import TEST_CARD_NUMBERS

# ---------------------------------------------------------------------------------------------
# events: users' time zones and a shop's event funnel
# ---------------------------------------------------------------------------------------------

# IANA time zones with the country they belong to (IANA tz database, zone1970.tab) and an
# invented share of users for a global web shop. The mix covers every kind of offset behaviour
# the tz database has: northern DST (US on 2024-03-10, EU on 2024-03-31), southern DST ending
# (Sydney, Adelaide, Auckland on 2024-04-07), no DST at all (Phoenix, Brisbane, Tokyo, Kolkata,
# São Paulo since 2019, Mexico City since 2022), half- and quarter-hour offsets (St John's,
# Kolkata, Adelaide, Kathmandu) and zones at UTC+0 (London in winter, Reykjavik all year).
TIME_ZONES = {
    # zone: (ISO country, share of users)
    "America/New_York": ("US", 0.13),
    "America/Chicago": ("US", 0.07),
    "America/Denver": ("US", 0.03),
    "America/Phoenix": ("US", 0.015),
    "America/Los_Angeles": ("US", 0.08),
    "America/Toronto": ("CA", 0.04),
    "America/Vancouver": ("CA", 0.02),
    "America/St_Johns": ("CA", 0.005),
    "America/Mexico_City": ("MX", 0.03),
    "America/Sao_Paulo": ("BR", 0.05),
    "Europe/London": ("GB", 0.09),
    "Europe/Dublin": ("IE", 0.01),
    "Europe/Paris": ("FR", 0.07),
    "Europe/Berlin": ("DE", 0.08),
    "Europe/Madrid": ("ES", 0.04),
    "Europe/Helsinki": ("FI", 0.01),
    "Atlantic/Reykjavik": ("IS", 0.003),
    "Africa/Lagos": ("NG", 0.02),
    "Africa/Johannesburg": ("ZA", 0.015),
    "Asia/Kolkata": ("IN", 0.06),
    "Asia/Kathmandu": ("NP", 0.004),
    "Asia/Singapore": ("SG", 0.02),
    "Asia/Tokyo": ("JP", 0.05),
    "Australia/Perth": ("AU", 0.008),
    "Australia/Adelaide": ("AU", 0.005),
    "Australia/Brisbane": ("AU", 0.01),
    "Australia/Sydney": ("AU", 0.03),
    "Pacific/Auckland": ("NZ", 0.01),
}

# Share of sessions starting in each local hour 00..23: a diurnal curve shaped like published
# web-traffic profiles (trough 03-05, morning rise, midday plateau, evening peak 19-22);
# the numbers are invented.
HOURLY_ACTIVITY = (
    1.2, 0.7, 0.4, 0.3, 0.3, 0.4, 0.9, 2.0, 3.4, 4.4, 5.0, 5.3,
    5.6, 5.4, 5.1, 5.0, 5.1, 5.5, 6.2, 7.0, 7.3, 6.6, 4.6, 2.6,
)  # fmt: skip

# The funnel (GA4 recommended-event style names). A session is session_start, then browsing
# events, then maybe add_to_cart -> checkout -> purchase. Probabilities are invented but land on
# published e-commerce benchmarks: ~3-4 % of sessions convert and ~70 % of carts are abandoned
# (Baymard Institute's cart-abandonment average).
EVENT_TYPES = (
    "session_start",
    "page_view",
    "view_item",
    "search",
    "add_to_cart",
    "checkout",
    "purchase",
)
BROWSE_WEIGHTS = {"page_view": 0.55, "view_item": 0.32, "search": 0.13}
MEAN_EXTRA_BROWSE = 4.0  # browsing events per session: 1 + geometric with this mean
P_ADD_TO_CART = 0.14
P_CHECKOUT_GIVEN_CART = 0.5
P_PURCHASE_GIVEN_CHECKOUT = 0.6

# ---------------------------------------------------------------------------------------------
# eval_runs: an LLM evaluation log (fictional models, facts-based tasks)
# ---------------------------------------------------------------------------------------------

# Fictional model versions: (first and last day of their evaluation window, share of runs, and
# the chance of each output category). Categories: correct; correct but failing the automated
# check (another accepted form); wrong; wrong but passing the check (the expected text appears
# in a wrong answer); refusal. Invented, tuned to human pass rates of ~80-90 %.
OUTPUT_CATEGORIES = ("correct", "correct_unmatched", "wrong", "wrong_matched", "refusal")
MODEL_VERSIONS = {
    "acme-chat-1.2": ("2024-03-01", "2024-05-31", 0.30, (0.75, 0.06, 0.11, 0.03, 0.05)),
    "acme-chat-1.3": ("2024-05-15", "2024-08-31", 0.35, (0.82, 0.05, 0.07, 0.03, 0.03)),
    "acme-chat-1.3-mini": ("2024-06-15", "2024-08-31", 0.20, (0.77, 0.06, 0.10, 0.04, 0.03)),
    "acme-chat-1.4-preview": ("2024-08-20", "2024-09-30", 0.15, (0.85, 0.04, 0.06, 0.03, 0.02)),
}
# Typical latency of each model before output length counts (ms; invented).
MODEL_BASE_LATENCY_MS = {
    "acme-chat-1.2": 900,
    "acme-chat-1.3": 750,
    "acme-chat-1.3-mini": 320,
    "acme-chat-1.4-preview": 1100,
}

# Human labelers: (share of runs labeled, chance of flipping the true label by mistake).
# Invented; one careless labeler makes disagreements cluster.
LABELERS = {
    "labeler_01": (0.24, 0.010),
    "labeler_02": (0.22, 0.015),
    "labeler_03": (0.18, 0.020),
    "labeler_04": (0.16, 0.020),
    "labeler_05": (0.12, 0.030),
    "labeler_06": (0.08, 0.080),
}

# Capitals (CIA World Factbook, "Government: capital"): (country, capital, another accepted
# spelling of the capital that does not contain the expected one, a common wrong answer).
# Countries whose capital is disputed or split (Netherlands, South Africa, Bolivia) are left out.
CAPITALS = (
    ("Australia", "Canberra", None, "Sydney"),
    ("Canada", "Ottawa", None, "Toronto"),
    ("Turkey", "Ankara", None, "Istanbul"),
    ("Switzerland", "Bern", None, "Zurich"),
    ("Brazil", "Brasília", "Brasilia", "Rio de Janeiro"),
    ("New Zealand", "Wellington", None, "Auckland"),
    ("Morocco", "Rabat", None, "Casablanca"),
    ("Nigeria", "Abuja", None, "Lagos"),
    ("Vietnam", "Hanoi", "Hà Nội", "Ho Chi Minh City"),
    ("Pakistan", "Islamabad", None, "Karachi"),
    ("Ukraine", "Kyiv", "Kiev", "Lviv"),
    ("Italy", "Rome", "Roma", "Milan"),
    ("Poland", "Warsaw", "Warszawa", "Kraków"),
    ("Portugal", "Lisbon", "Lisboa", "Porto"),
    ("Czechia", "Prague", "Praha", "Brno"),
    ("Denmark", "Copenhagen", "København", "Aarhus"),
    ("Austria", "Vienna", "Wien", "Salzburg"),
    ("Belgium", "Brussels", "Bruxelles", "Antwerp"),
    ("Greece", "Athens", "Athína", "Thessaloniki"),
    ("Germany", "Berlin", None, "Munich"),
    ("Spain", "Madrid", None, "Barcelona"),
    ("Japan", "Tokyo", "Tōkyō", "Kyoto"),
    ("China", "Beijing", "Peking", "Shanghai"),
    ("India", "New Delhi", None, "Mumbai"),
    ("Egypt", "Cairo", None, "Alexandria"),
    ("Mexico", "Mexico City", "Ciudad de México", "Guadalajara"),
    ("Russia", "Moscow", "Moskva", "Saint Petersburg"),
    ("Serbia", "Belgrade", "Beograd", "Novi Sad"),
    ("Romania", "Bucharest", "București", "Cluj-Napoca"),
    ("Finland", "Helsinki", "Helsingfors", "Tampere"),
    ("Sweden", "Stockholm", None, "Gothenburg"),
    ("Norway", "Oslo", None, "Bergen"),
    ("Kenya", "Nairobi", None, "Mombasa"),
    ("Argentina", "Buenos Aires", None, "Córdoba"),
    ("Peru", "Lima", None, "Cusco"),
    ("Thailand", "Bangkok", "Krung Thep", "Chiang Mai"),
    ("South Korea", "Seoul", None, "Busan"),
)

# Phrasebook translations (standard phrasebook renderings, checked against Wiktionary):
# (English phrase, language, expected translation, another accepted translation that does not
# contain the expected one, a wrong translation).
TRANSLATIONS = (
    ("Good morning", "French", "Bonjour", None, "Bonsoir"),
    ("Thank you very much", "Spanish", "Muchas gracias", "Mil gracias", "De nada"),
    ("Where is the train station?", "German", "Wo ist der Bahnhof?", "Wo befindet sich der Bahnhof?", "Wo ist die Bank?"),
    ("I would like a coffee, please.", "Italian", "Vorrei un caffè, per favore.", "Un caffè, per favore.", "Vorrei un tè, per favore."),
    ("How much does this cost?", "Spanish", "¿Cuánto cuesta esto?", "¿Cuánto vale esto?", "¿Dónde está esto?"),
    ("See you tomorrow", "French", "À demain", "On se voit demain", "À bientôt"),
    ("Happy birthday", "German", "Alles Gute zum Geburtstag", "Herzlichen Glückwunsch zum Geburtstag", "Frohe Weihnachten"),
    ("The bill, please", "Italian", "Il conto, per favore", "Il conto, per piacere", "Il menù, per favore"),
    ("Excuse me", "Spanish", "Disculpe", "Perdone", "Gracias"),
    ("Good night", "German", "Gute Nacht", None, "Guten Tag"),
    ("I don't understand", "French", "Je ne comprends pas", "Je comprends pas", "Je ne sais pas"),
    ("Where is the bathroom?", "Portuguese", "Onde fica o banheiro?", "Onde é o banheiro?", "Onde fica a praia?"),
    ("Good luck", "Italian", "Buona fortuna", "In bocca al lupo", "Buona notte"),
    ("I am hungry", "Spanish", "Tengo hambre", None, "Tengo sed"),
)  # fmt: skip

# Short product reviews with their sentiment (invented for this kit).
REVIEWS = (
    ("Arrived a day early and works perfectly. Would buy again.", "positive"),
    ("The strap broke after two weeks. Very disappointed.", "negative"),
    ("It does what it says. Nothing special.", "neutral"),
    ("Best kettle I have owned, boils in under a minute.", "positive"),
    ("Customer service never answered my emails.", "negative"),
    ("The colour is slightly different from the photo, but fine.", "neutral"),
    ("Comfortable, warm and the stitching looks solid.", "positive"),
    ("Stopped charging after three days and the refund took a month.", "negative"),
    ("Average sound quality for the price.", "neutral"),
    ("My kids love this puzzle, great value.", "positive"),
    ("Smaller than expected and the lid does not close properly.", "negative"),
    ("Delivered on time. Haven't used it much yet.", "neutral"),
    ("Setup took five minutes and the app is excellent.", "positive"),
    ("Box was crushed and two pieces were missing.", "negative"),
)
# An accepted way of saying each sentiment without its label word, and a wrong label.
SENTIMENT_PARAPHRASE = {
    "positive": "The reviewer is happy with the product.",
    "negative": "The reviewer is unhappy with the product.",
    "neutral": "The review is mixed, neither clearly good nor bad.",
}
SENTIMENT_WRONG = {"positive": "negative", "negative": "positive", "neutral": "positive"}

# Refusals and non-answers in the style LLMs produce (invented wording).
REFUSALS = (
    "I'm sorry, but I can't help with that request.",
    "I'm not able to answer that.",
    "As an AI model, I cannot provide that information.",
    "Could you clarify what you mean?",
)

# ---------------------------------------------------------------------------------------------
# chat_traces and pii_in_text: a fictional shop's support chat, and synthetic personal data
# ---------------------------------------------------------------------------------------------

# The fictional shop. Its domain is under .example (RFC 2606). The shop's own contact details are
# an organisation's, not a person's: they are NOT personal data (GDPR Art. 4(1): personal data
# relates to a natural person), and the recipe plants them as decoys.
SHOP = "Brightcart"
SHOP_DOMAIN = "brightcart.example"
SUPPORT_EMAILS = ("support@brightcart.example", "returns@brightcart.example")
# The shop's hotline, in NANPA's fictional 555-0100..0199 block like the customers' numbers.
HOTLINE = "+1 415-555-0100"
BOT_NAME = "Ava"  # the assistant's persona name: a product, not a natural person

# Phone formats in ranges reserved for fiction ('#' a digit, '%' a digit 2-9, see pools.
# fill_digits): NANPA 555-0100..0199 (US, CA); Ofcom's drama range 07700 900000..900999 (GB);
# ARCEP's 01 99 00 xx xx fiction block (FR); ACMA's (0X) 5550 xxxx landline blocks for creative
# works (AU; ACMA's fictional mobile numbers are a short list, not a block, so they are not used).
PHONE_FORMATS = {
    "US": ("+1 %##-555-01##", "(%##) 555-01##"),
    "CA": ("+1 %##-555-01##", "(%##) 555-01##"),
    "GB": ("+44 7700 900###", "07700 900###"),
    "FR": ("+33 1 99 00 ## ##", "01 99 00 ## ##"),
    "AU": ("+61 2 5550 ####", "(03) 5550 ####"),
}
# One regular expression (RE2 and Python `re` compatible) per format family above.
PHONE_PATTERN = (
    r"\+1 [2-9]\d\d-555-01\d\d|\([2-9]\d\d\) 555-01\d\d"
    r"|\+44 7700 900\d{3}|\b07700 900\d{3}\b"
    r"|\+33 1 99 00 \d\d \d\d|\b01 99 00 \d\d \d\d\b"
    r"|\+61 [2378] 5550 \d{4}|\(0[2378]\) 5550 \d{4}"
)


def card_formats(number: str) -> tuple[str, str, str]:
    """A card number as typed: plain, space-grouped and dash-grouped (4-4-4-4 for 16 digits,
    4-6-5 for 15-digit American Express, 4-6-4 for 14-digit Diners Club)."""
    n = len(number)
    cuts = (4, 8, 12) if n == 16 else (4, 10)
    groups = [number[a:b] for a, b in zip((0, *cuts), (*cuts, n), strict=True)]
    return number, " ".join(groups), "-".join(groups)


FORMATTED_CARDS = tuple(f for number in TEST_CARD_NUMBERS for f in card_formats(number))

# Kinds of personal data the chat recipe and the pii_in_text anomaly plant.
PII_KINDS = ("email", "phone", "name", "card", "address")

# Phrases that carry one planted item (the anomaly appends one to a text; invented wording).
PII_PHRASES = {
    "email": (" You can reach me at {}.", " Contact: {}", " (my email is {})"),
    "phone": (" Call me on {}.", " My number is {}.", " Tel: {}"),
    "name": (" Regards, {}", " Thanks, {}.", " Signed: {}"),
    "card": (" My card number is {}.", " Card: {}", " Use card {} please."),
    "address": (" Please ship to {}.", " Address: {}", " I live at {}."),
}

# Products the support chat talks about (reuses the shop's category nouns; invented models).
CHAT_PRODUCTS = (
    "Compact Speaker",
    "Nordic Lamp",
    "Eco Water Bottle",
    "Pro Headphones",
    "Urban Backpack",
    "Smart Kettle",
    "Classic Sneakers",
    "Deluxe Yoga Mat",
)
