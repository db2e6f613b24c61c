"""Topics that between them cover what news outlets publish, in the languages channel owners write
topics in: a channel's topic is weighed against those it does not cover, written in its own
language (bot/digest/topics.py), since a multilingual embedder finds two phrases of one language
closer than two of two languages whatever they say.
"""

from __future__ import annotations

CONTRAST_TOPICS: dict[str, tuple[str, ...]] = {
    "en": (
        "politics and elections", "war and terrorism", "economy, business and finance", "science and technology",
        "health and medicine", "sports", "crime and courts", "disasters, accidents and weather",
        "culture, entertainment and celebrities", "environment and climate", "education and schools",
        "religion and faith", "travel and tourism", "food and cooking", "home and garden", "fashion and beauty",
    ),
    "de": (
        "Politik und Wahlen", "Krieg und Terrorismus", "Wirtschaft, Unternehmen und Finanzen",
        "Wissenschaft und Technik",
        "Gesundheit und Medizin", "Sport", "Kriminalität und Justiz", "Katastrophen, Unfälle und Wetter",
        "Kultur, Unterhaltung und Prominente", "Umwelt und Klima", "Bildung und Schulen",
        "Religion und Glaube", "Reisen und Tourismus", "Essen und Kochen", "Haus und Garten", "Mode und Schönheit",
    ),
    "fr": (
        "politique et élections", "guerre et terrorisme", "économie, entreprises et finance",
        "sciences et technologies",
        "santé et médecine", "sport", "criminalité et justice", "catastrophes, accidents et météo",
        "culture, divertissement et célébrités", "environnement et climat", "éducation et écoles",
        "religion et foi", "voyages et tourisme", "alimentation et cuisine", "maison et jardin", "mode et beauté",
    ),
    "es": (
        "política y elecciones", "guerra y terrorismo", "economía, empresas y finanzas", "ciencia y tecnología",
        "salud y medicina", "deportes", "delincuencia y tribunales", "desastres, accidentes y tiempo",
        "cultura, espectáculos y famosos", "medio ambiente y clima", "educación y escuelas",
        "religión y fe", "viajes y turismo", "comida y cocina", "casa y jardín", "moda y belleza",
    ),
    "it": (
        "politica ed elezioni", "guerra e terrorismo", "economia, imprese e finanza", "scienza e tecnologia",
        "salute e medicina", "sport", "criminalità e tribunali", "disastri, incidenti e meteo",
        "cultura, spettacolo e celebrità", "ambiente e clima", "istruzione e scuola",
        "religione e fede", "viaggi e turismo", "cibo e cucina", "casa e giardino", "moda e bellezza",
    ),
    "pt": (
        "política e eleições", "guerra e terrorismo", "economia, empresas e finanças", "ciência e tecnologia",
        "saúde e medicina", "esportes", "crime e tribunais", "desastres, acidentes e clima",
        "cultura, entretenimento e celebridades", "meio ambiente e clima", "educação e escolas",
        "religião e fé", "viagens e turismo", "comida e culinária", "casa e jardim", "moda e beleza",
    ),
    "pl": (
        "polityka i wybory", "wojna i terroryzm", "gospodarka, biznes i finanse", "nauka i technologia",
        "zdrowie i medycyna", "sport", "przestępczość i sądy", "katastrofy, wypadki i pogoda",
        "kultura, rozrywka i celebryci", "środowisko i klimat", "edukacja i szkoły",
        "religia i wiara", "podróże i turystyka", "jedzenie i gotowanie", "dom i ogród", "moda i uroda",
    ),
    "cs": (
        "politika a volby", "válka a terorismus", "ekonomika, byznys a finance", "věda a technologie",
        "zdraví a medicína", "sport", "kriminalita a soudy", "katastrofy, nehody a počasí",
        "kultura, zábava a celebrity", "životní prostředí a klima", "vzdělávání a školy",
        "náboženství a víra", "cestování a turistika", "jídlo a vaření", "dům a zahrada", "móda a krása",
    ),
    "uk": (
        "політика і вибори", "війна і тероризм", "економіка, бізнес і фінанси", "наука і технології",
        "здоров'я і медицина", "спорт", "злочинність і суди", "катастрофи, аварії та погода",
        "культура, розваги та знаменитості", "довкілля і клімат", "освіта і школи",
        "релігія і віра", "подорожі та туризм", "їжа і кулінарія", "дім і сад", "мода і краса",
    ),
    "ru": (
        "политика и выборы", "война и терроризм", "экономика, бизнес и финансы", "наука и технологии",
        "здоровье и медицина", "спорт", "преступность и суды", "катастрофы, происшествия и погода",
        "культура, развлечения и знаменитости", "экология и климат", "образование и школы",
        "религия и вера", "путешествия и туризм", "еда и кулинария", "дом и сад", "мода и красота",
    ),
    "tr": (
        "siyaset ve seçimler", "savaş ve terör", "ekonomi, iş dünyası ve finans", "bilim ve teknoloji",
        "sağlık ve tıp", "spor", "suç ve mahkemeler", "afetler, kazalar ve hava durumu",
        "kültür, eğlence ve ünlüler", "çevre ve iklim", "eğitim ve okullar",
        "din ve inanç", "seyahat ve turizm", "yemek ve mutfak", "ev ve bahçe", "moda ve güzellik",
    ),
    "ar": (
        "السياسة والانتخابات", "الحرب والإرهاب", "الاقتصاد والأعمال والمال", "العلوم والتكنولوجيا",
        "الصحة والطب", "الرياضة", "الجريمة والمحاكم", "الكوارث والحوادث والطقس",
        "الثقافة والترفيه والمشاهير", "البيئة والمناخ", "التعليم والمدارس",
        "الدين والإيمان", "السفر والسياحة", "الطعام والطبخ", "المنزل والحديقة", "الموضة والجمال",
    ),
}
