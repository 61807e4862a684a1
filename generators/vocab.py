"""Vocabularies shipped with the generators. Each says where it came from.

Personal data is never real: emails use domains reserved for documentation (RFC 2606, RFC 6761),
phone numbers come from ranges regulators reserve for fiction, card numbers from payment
providers' published test numbers.
"""

# RFC 2606 reserves example.com/.org/.net; RFC 6761 reserves the .test top-level domain.
EMAIL_DOMAINS = (
    "example.com",
    "example.org",
    "example.net",
    "mail.test",
    "inbox.test",
    "post.test",
)

# Countries with their currency and real cities with a real postcode (or outward code) range.
# Postcodes: USPS ZIP codes (5 digits, Northeast ones start with 0, so "lost leading zeros" is
# realistic), Canada Post FSAs, Royal Mail outward codes, La Poste codes postaux, Australia Post.
# Phone templates use ranges reserved for fiction: NANPA 555-0100..0199 (US, CA); Ofcom's drama
# range 07700 900000..900999 (GB); ARCEP's 01 99 00 xx xx fiction block (FR); ACMA's
# (02) 5550 xxxx landline block (AU). "#" is a random digit, "%" a digit 2-9
# (North American area codes never start with 0 or 1).
COUNTRIES = {
    # iso: (name, currency, phone template, [(city, first postcode, postcode count)])
    "US": (
        "United States",
        "USD",
        "+1 %##-555-01##",
        [
            ("Boston", "02108", 30),
            ("Newark", "07102", 20),
            ("Hartford", "06101", 15),
            ("New York", "10001", 40),
            ("Chicago", "60601", 40),
            ("Austin", "78701", 30),
            ("Seattle", "98101", 30),
            ("Denver", "80202", 25),
        ],
    ),
    "CA": (
        "Canada",
        "CAD",
        "+1 %##-555-01##",
        [
            ("Toronto", "M5A", 1),
            ("Montreal", "H2X", 1),
            ("Vancouver", "V6B", 1),
            ("Calgary", "T2P", 1),
            ("Ottawa", "K1P", 1),
        ],
    ),
    "GB": (
        "United Kingdom",
        "GBP",
        "+44 7700 900###",
        [
            ("London", "EC1A", 1),
            ("Manchester", "M1", 1),
            ("Birmingham", "B1", 1),
            ("Leeds", "LS1", 1),
            ("Bristol", "BS1", 1),
            ("Edinburgh", "EH1", 1),
        ],
    ),
    "FR": (
        "France",
        "EUR",
        "+33 1 99 00 ## ##",
        [
            ("Paris", "75001", 20),
            ("Lyon", "69001", 9),
            ("Marseille", "13001", 16),
            ("Toulouse", "31000", 5),
            ("Nantes", "44000", 4),
            ("Lille", "59000", 4),
        ],
    ),
    "AU": (
        "Australia",
        "AUD",
        "+61 2 5550 ####",
        [
            ("Sydney", "2000", 10),
            ("Melbourne", "3000", 10),
            ("Brisbane", "4000", 6),
            ("Perth", "6000", 6),
            ("Adelaide", "5000", 6),
        ],
    ),
}
# Faker locale whose census-derived name lists fit each country's customers. Faker 40 has no
# person provider for en_AU or en_CA: Australian customers take British names, Canadian ones the
# Québécois lists (so accented names such as "Hélène Côté" occur, as they do in real exports).
NAME_LOCALES = {"US": "en_US", "CA": "fr_CA", "GB": "en_GB", "FR": "fr_FR", "AU": "en_GB"}
# French street types (Faker's fr_FR address formats use the same): composed with surnames.
FRENCH_STREET_TYPES = ("rue", "avenue", "boulevard", "place", "chemin", "allée", "impasse", "quai")

# Share of customers per country (a plausible skew for a European/US shop; invented).
COUNTRY_WEIGHTS = {"US": 0.40, "GB": 0.18, "FR": 0.17, "CA": 0.13, "AU": 0.12}

# EUR per one unit of each currency: ECB euro foreign exchange reference rates, 2024 annual
# averages rounded to 4 places (USD 1.0824, GBP 0.8466, CAD 1.4821, AUD 1.6397 per EUR).
EUR_PER_UNIT = {"EUR": 1.0, "USD": 0.9239, "GBP": 1.1812, "CAD": 0.6747, "AUD": 0.6099}

# Product categories with a typical price in EUR (median of a log-normal) and noun stems.
# Invented for this kit; category names follow the Google product taxonomy's top levels.
PRODUCT_CATEGORIES = {
    "Electronics": (120.0, ("Headphones", "Charger", "Speaker", "Keyboard", "Monitor", "Webcam")),
    "Home & Garden": (35.0, ("Lamp", "Planter", "Rug", "Kettle", "Cushion", "Shelf")),
    "Apparel": (40.0, ("Jacket", "Sneakers", "Scarf", "T-Shirt", "Jeans", "Cap")),
    "Sporting Goods": (55.0, ("Yoga Mat", "Dumbbell", "Water Bottle", "Tent", "Backpack")),
    "Toys & Games": (25.0, ("Puzzle", "Board Game", "Building Set", "Kite", "Plush Toy")),
    "Office Supplies": (12.0, ("Notebook", "Pen Set", "Stapler", "Desk Organizer", "Binder")),
}
PRODUCT_ADJECTIVES = (
    "Classic",
    "Compact",
    "Deluxe",
    "Eco",
    "Essential",
    "Nordic",
    "Pro",
    "Smart",
    "Ultra",
    "Vintage",
    "Urban",
    "Premium",
)

# Order statuses and their shares (invented, typical of e-commerce exports).
ORDER_STATUSES = {"delivered": 0.82, "shipped": 0.08, "cancelled": 0.06, "returned": 0.04}

# Card numbers published by payment providers for testing (Stripe, Adyen and PayPal docs);
# all pass the Luhn check and can never be charged.
TEST_CARD_NUMBERS = (
    "4242424242424242",
    "4000056655665556",
    "4111111111111111",
    "4012888888881881",
    "5555555555554444",
    "5200828282828210",
    "5105105105105100",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "3056930009020004",
    "36227206271667",
    "3566002020360505",
    "6200000000000005",
)
