"""Tiny random models saved to disk, for tests of the model plumbing without any download.

Each builder trains a small tokenizer on a few news sentences (English, Russian, French, Arabic),
wraps it for transformers and saves it next to a randomly initialised model of a few thousand
parameters. The models write garbage: tests built on them check plumbing, never quality.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import sentencepiece
import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    BertTokenizerFast,
    LlamaConfig,
    LlamaForCausalLM,
    M2M100Config,
    M2M100ForConditionalGeneration,
    M2M100Tokenizer,
    MT5Config,
    MT5ForConditionalGeneration,
    PreTrainedTokenizerFast,
)

from summarizer.backends.seq2seq import CROSSSUM_LANGUAGES

CORPUS = [
    "The city council approved the new budget on Tuesday after a long debate.",
    "Prices for electricity rose by 12 percent in January, the statistics office said.",
    "The company announced that it would open a factory near the port next year.",
    "Heavy rain flooded several streets and closed two schools in the north.",
    "The minister said the talks with the unions would continue next week.",
    "Scientists found that the river water was cleaner than ten years ago.",
    "The national team won the match two to one in front of a full stadium.",
    "Police are searching for the driver who fled after the accident.",
    "Городской совет утвердил новый бюджет во вторник после долгих споров.",
    "Цены на электроэнергию выросли на 12 процентов в январе, сообщило статистическое ведомство.",
    "Компания объявила, что в следующем году откроет завод рядом с портом.",
    "Сильный дождь затопил несколько улиц, две школы на севере закрыты.",
    "Министр сказал, что переговоры с профсоюзами продолжатся на следующей неделе.",
    "Учёные выяснили, что вода в реке стала чище, чем десять лет назад.",
    "Сборная выиграла матч со счётом два один на полном стадионе.",
    "Полиция ищет водителя, который скрылся после аварии.",
    "Le conseil municipal a approuvé le nouveau budget mardi après un long débat.",
    "Les prix de l'électricité ont augmenté de 12 pour cent en janvier, selon l'institut.",
    "L'entreprise a annoncé qu'elle ouvrirait une usine près du port l'année prochaine.",
    "De fortes pluies ont inondé plusieurs rues et fermé deux écoles dans le nord.",
    "Le ministre a déclaré que les négociations avec les syndicats continueraient.",
    "Les scientifiques ont constaté que l'eau de la rivière était plus propre.",
    "L'équipe nationale a gagné le match deux à un devant un stade plein.",
    "La police recherche le conducteur qui a pris la fuite après l'accident.",
    "وافق مجلس المدينة على الميزانية الجديدة يوم الثلاثاء بعد نقاش طويل.",
    "ارتفعت أسعار الكهرباء بنسبة 12 في المئة في يناير، حسب مكتب الإحصاء.",
    "أعلنت الشركة أنها ستفتح مصنعا قرب الميناء العام المقبل.",
    "أغرقت الأمطار الغزيرة عدة شوارع وأغلقت مدرستين في الشمال.",
    "قال الوزير إن المحادثات مع النقابات ستستمر الأسبوع المقبل.",
    "وجد العلماء أن مياه النهر أنظف مما كانت عليه قبل عشر سنوات.",
    "فاز المنتخب الوطني بالمباراة أمام ملعب ممتلئ.",
    "تبحث الشرطة عن السائق الذي فر بعد الحادث.",
]

VOCAB_SIZE = 500
# A model's input limit as its tokenizer states it; the seq2seq backend derives chunk_tokens from it.
SEQ2SEQ_MAX_INPUT = 128

# Minimal turn markup: enough for apply_chat_template to produce a prompt.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def build_tiny_causal(path: str | Path) -> Path:
    """A byte-level BPE tokenizer and a random 2-layer Llama, saved to `path`."""
    return _build_causal(Path(path), chat_template=None)


def build_tiny_chat_causal(path: str | Path) -> Path:
    """build_tiny_causal with a chat template on the tokenizer, as instruction-tuned models have."""
    return _build_causal(Path(path), chat_template=CHAT_TEMPLATE)


def _build_causal(path: Path, chat_template: str | None) -> Path:
    tokenizer = _causal_tokenizer()
    tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(path)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(path)
    return path


def build_tiny_seq2seq(path: str | Path, *, crosssum: bool = False) -> Path:
    """A Unigram tokenizer and a random 2-layer mT5, saved to `path`.

    crosssum=True gives the model CrossSum's language control: one token per XL-Sum language,
    named in config.task_specific_params["langid_map"] as the CrossSum checkpoints do.
    """
    path = Path(path)
    tokenizer = _seq2seq_tokenizer()
    langid_map = None
    if crosssum:
        # CrossSum's tokens are mT5 sentinel pieces ("▁<extra_id_59>"), one per language.
        names = CROSSSUM_LANGUAGES.values()
        langid_map = {name: [index, f"▁<extra_id_{index}>"] for index, name in enumerate(names)}
        tokenizer.add_tokens([token for _, token in langid_map.values()], special_tokens=True)
    tokenizer.save_pretrained(path)
    torch.manual_seed(0)
    config = MT5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=2,
        num_heads=2,
        relative_attention_num_buckets=8,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    if langid_map is not None:
        config.task_specific_params = {"langid_map": langid_map}
    MT5ForConditionalGeneration(config).save_pretrained(path)
    return path


def build_tiny_translator(path: str | Path, language_tokens: Sequence[str] = ()) -> Path:
    """A random 1-layer M2M100 (the architecture of NLLB-200 and M2M100) saved to `path`, its tokenizer
    holding `language_tokens` ("eng_Latn" as NLLB writes them); none for a model of one language pair,
    as Marian's are."""
    path = Path(path)
    tokenizer = _seq2seq_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": list(language_tokens)})
    tokenizer.save_pretrained(path)
    _save_tiny_m2m100(path, tokenizer, len(tokenizer))
    return path


def build_tiny_m2m100(path: str | Path) -> Path:
    """A random 1-layer M2M100 with M2M100's own tokenizer (a small SentencePiece model, its 100
    language tokens "__en__" …) saved to `path`."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(sentence_iterator=iter(CORPUS * 3), model_writer=model,
                                             vocab_size=300, character_coverage=1.0)
    (path / "spm.model").write_bytes(model.getvalue())
    pieces = sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for index in range(pieces.get_piece_size()):
        vocab.setdefault(pieces.id_to_piece(index), len(vocab))
    (path / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = M2M100Tokenizer(str(path / "vocab.json"), str(path / "spm.model"))
    tokenizer.save_pretrained(path)
    _save_tiny_m2m100(path, tokenizer, tokenizer.encoder_size + len(tokenizer.lang_code_to_id) + tokenizer.num_madeup_words)
    return path


def _save_tiny_m2m100(path: Path, tokenizer, vocab_size: int) -> None:
    torch.manual_seed(0)
    config = M2M100Config(
        vocab_size=vocab_size, d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
    )
    M2M100ForConditionalGeneration(config).save_pretrained(path)


def build_tiny_sentence_transformer(path: str | Path, *, prompts: dict[str, str] | None = None) -> Path:
    """A WordPiece tokenizer and a random 2-layer BERT with mean pooling, saved as a
    sentence-transformers model (with `prompts` in its config, as some hub models have)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules

    path = Path(path)
    tokenizer = _wordpiece_tokenizer()
    torch.manual_seed(0)
    config = _tiny_bert_config(tokenizer)
    encoder_dir = path / "encoder"
    tokenizer.save_pretrained(encoder_dir)
    BertModel(config).save_pretrained(encoder_dir)
    encoder = modules.Transformer(str(encoder_dir), max_seq_length=SEQ2SEQ_MAX_INPUT)
    pooling = modules.Pooling(encoder.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[encoder, pooling], prompts=prompts, device="cpu").save(str(path))
    return path


def _tiny_bert_config(tokenizer, **extra) -> BertConfig:
    return BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=SEQ2SEQ_MAX_INPUT,
        **extra,
    )


def build_tiny_nli(path: str | Path, labels: Sequence[str] = ("entailment", "neutral", "contradiction")) -> Path:
    """A WordPiece tokenizer and a random 2-layer BERT sequence classifier with NLI labels."""
    path = Path(path)
    tokenizer = _wordpiece_tokenizer()
    tokenizer.save_pretrained(path)
    torch.manual_seed(0)
    config = _tiny_bert_config(
        tokenizer, id2label=dict(enumerate(labels)), label2id={label: index for index, label in enumerate(labels)}
    )
    BertForSequenceClassification(config).save_pretrained(path)
    return path


def _wordpiece_tokenizer() -> BertTokenizerFast:
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    trainer = trainers.WordPieceTrainer(vocab_size=VOCAB_SIZE, special_tokens=special, show_progress=False)
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tokenizer.token_to_id("[CLS]")), ("[SEP]", tokenizer.token_to_id("[SEP]"))],
    )
    return BertTokenizerFast(tokenizer_object=tokenizer, model_max_length=SEQ2SEQ_MAX_INPUT)


def _causal_tokenizer() -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    # Byte level: every input can be encoded, whatever its script.
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    special = ["<pad>", "<s>", "</s>", "<unk>"]
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )


def _seq2seq_tokenizer() -> PreTrainedTokenizerFast:
    # T5's layout: <pad>=0 (also the decoder start), </s>=1 appended to every input, <unk>=2.
    tokenizer = Tokenizer(models.Unigram())
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=["<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=SEQ2SEQ_MAX_INPUT,
    )
