"""Translation prompts: a few sentence pairs for base models to continue, an instruction for chat models.

A base model continues a pattern: two example pairs in the same two languages ("Czech: …" then
"English: …") make the next line a translation far more often than an instruction does. The
examples hold a name and numbers, written in digits and in words, which a translation keeps.
"""

from __future__ import annotations

from summarizer.language import language_name

# The same two sentences in each language with examples; pairs of other languages get no examples.
_EXAMPLES: tuple[dict[str, str], ...] = (
    {
        "en": "Mayor Peter Novak presented a budget of 12 million euros for the new hospital.",
        "fr": "Le maire Peter Novak a présenté un budget de 12 millions d'euros pour le nouvel hôpital.",
        "de": "Bürgermeister Peter Novak stellte einen Haushalt von 12 Millionen Euro für das neue Krankenhaus vor.",
        "es": "El alcalde Peter Novak presentó un presupuesto de 12 millones de euros para el nuevo hospital.",
        "it": "Il sindaco Peter Novak ha presentato un bilancio di 12 milioni di euro per il nuovo ospedale.",
        "pt": "O prefeito Peter Novak apresentou um orçamento de 12 milhões de euros para o novo hospital.",
        "nl": "Burgemeester Peter Novak presenteerde een begroting van 12 miljoen euro voor het nieuwe ziekenhuis.",
        "pl": "Burmistrz Peter Novak przedstawił budżet w wysokości 12 milionów euro na nowy szpital.",
        "cs": "Starosta Peter Novak představil rozpočet ve výši 12 milionů eur na novou nemocnici.",
        "sk": "Primátor Peter Novak predstavil rozpočet vo výške 12 miliónov eur na novú nemocnicu.",
        "uk": "Мер Петер Новак представив бюджет у розмірі 12 мільйонів євро на нову лікарню.",
        "ru": "Мэр Петер Новак представил бюджет в размере 12 миллионов евро на новую больницу.",
        "ar": "قدّم رئيس البلدية بيتر نوفاك ميزانية بقيمة 12 مليون يورو للمستشفى الجديد.",
        "tr": "Belediye Başkanı Peter Novak, yeni hastane için 12 milyon euroluk bir bütçe sundu.",
    },
    {
        "en": "The river rose by two metres after three days of rain.",
        "fr": "Le fleuve est monté de deux mètres après trois jours de pluie.",
        "de": "Der Fluss stieg nach drei Tagen Regen um zwei Meter.",
        "es": "El río subió dos metros tras tres días de lluvia.",
        "it": "Dopo tre giorni di pioggia il fiume è salito di due metri.",
        "pt": "O rio subiu dois metros após três dias de chuva.",
        "nl": "De rivier steeg na drie dagen regen met twee meter.",
        "pl": "Po trzech dniach deszczu rzeka podniosła się o dwa metry.",
        "cs": "Řeka po třech dnech deště stoupla o dva metry.",
        "sk": "Rieka po troch dňoch dažďa stúpla o dva metre.",
        "uk": "Після трьох днів дощів річка піднялася на два метри.",
        "ru": "После трёх дней дождей река поднялась на два метра.",
        "ar": "ارتفع منسوب النهر مترين بعد ثلاثة أيام من الأمطار.",
        "tr": "Üç gün süren yağmurun ardından nehir iki metre yükseldi.",
    },
)


def translation_completion_prompt(sentence: str, source: str, target: str) -> str:
    """The examples in both languages, then the sentence; the model's next line is its translation."""
    source_name, target_name = language_name(source), language_name(target)
    shots = "".join(
        f"{source_name}: {pair[source]}\n{target_name}: {pair[target]}\n\n"
        for pair in _EXAMPLES if source in pair and target in pair
    )
    return f"{shots}{source_name}: {sentence}\n{target_name}:"


def translation_messages(sentence: str, source: str, target: str) -> list[dict[str, str]]:
    instruction = (
        f"Translate this {language_name(source)} sentence into {language_name(target)}. Keep every name, "
        "number and date. Write only the translation."
    )
    return [{"role": "user", "content": f"{instruction}\n\n{sentence}"}]
