"""transformers encoder-decoder summarisers (mT5 XL-Sum / CrossSum, mBART-50).

These models were fine-tuned on plain articles: the input is the source text itself, without an
instruction. Whether the summary language can be chosen depends on the checkpoint:

- CrossSum (csebuetnlp/mT5_m2m_crossSum*): the decoder starts from a language token. The
  checkpoints name those tokens in config.json, task_specific_params["langid_map"] (XL-Sum
  language name -> [index, token]); a model is treated as CrossSum exactly when that map is there.
- mBART-50: the first generated token is forced to the target's language code ("ru_RU"), taken
  from the tokenizer's lang_code_to_id.
- Anything else (XL-Sum mT5, BART, T5...) writes in the language of its input. A different
  requested language cannot be honoured; the shared language check reports the mismatch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from summarizer.backends.local import Job, LocalTransformersBackend
from summarizer.backends.model_files import ModelSource

log = logging.getLogger(__name__)

# ISO 639-1 -> the XL-Sum language names CrossSum's langid_map uses. Chinese and Serbian have two
# XL-Sum variants each; the code alone means the simplified and the Cyrillic one. Pidgin has no
# ISO 639-1 code.
CROSSSUM_LANGUAGES = {
    "am": "amharic",
    "ar": "arabic",
    "az": "azerbaijani",
    "bn": "bengali",
    "my": "burmese",
    "zh": "chinese_simplified",
    "en": "english",
    "fr": "french",
    "gu": "gujarati",
    "ha": "hausa",
    "hi": "hindi",
    "ig": "igbo",
    "id": "indonesian",
    "ja": "japanese",
    "rn": "kirundi",
    "ko": "korean",
    "ky": "kyrgyz",
    "mr": "marathi",
    "ne": "nepali",
    "om": "oromo",
    "ps": "pashto",
    "fa": "persian",
    "pt": "portuguese",
    "pa": "punjabi",
    "ru": "russian",
    "gd": "scottish_gaelic",
    "sr": "serbian_cyrillic",
    "si": "sinhala",
    "so": "somali",
    "es": "spanish",
    "sw": "swahili",
    "ta": "tamil",
    "te": "telugu",
    "th": "thai",
    "ti": "tigrinya",
    "tr": "turkish",
    "uk": "ukrainian",
    "ur": "urdu",
    "uz": "uzbek",
    "vi": "vietnamese",
    "cy": "welsh",
    "yo": "yoruba",
}

# Longer inputs cost quadratic attention time and these models were trained on 512-1024 tokens.
MAX_INPUT_TOKENS = 1024
# Input tokens kept free of source text: the special tokens the tokenizer adds (</s>, a language
# code) and the few tokens by which a joined text can count more than its chunks did.
_INPUT_HEADROOM = 16
NO_REPEAT_NGRAM_SIZE = 3

# A generate() argument and the token id that steers the summary into one language.
LanguageControl = tuple[str, int]


@dataclass(frozen=True)
class Seq2SeqPrompt:
    """What generate() takes: the source text and the language the summary should be in."""

    text: str
    language: str


class Seq2SeqBackend(LocalTransformersBackend):
    backend_name = "transformers-seq2seq"

    def __init__(
        self, source: ModelSource, *, max_batch: int = 8, num_beams: int = 4, threads: int | None = None
    ) -> None:
        from transformers import AutoModelForSeq2SeqLM

        super().__init__(source, AutoModelForSeq2SeqLM, max_batch=max_batch, threads=threads)
        self.num_beams = num_beams
        self.max_input_tokens = _max_input_tokens(self.model.config, self.tokenizer)
        self.chunk_tokens = self.max_input_tokens - _INPUT_HEADROOM
        self.language_controls = language_controls(self.model.config, self.tokenizer)

    def prompt(self, source: str, language: str, max_chars: int, variant: int) -> Seq2SeqPrompt:
        # Fine-tuned on single-line articles (XL-Sum's whitespace handling); length comes from
        # max_new_tokens, and there is no wording to vary between attempts.
        return Seq2SeqPrompt(" ".join(source.split()), language)

    def generate_batch(self, jobs: Sequence[Job]) -> list[str]:
        # The language control is one argument per generate() call: one call per control in use.
        groups: defaultdict[LanguageControl | None, list[int]] = defaultdict(list)
        for index, job in enumerate(jobs):
            groups[self.language_controls.get(job.prompt.language)].append(index)
        results = [""] * len(jobs)
        for control, indexes in groups.items():
            texts = self._generate_group([jobs[index] for index in indexes], control)
            for index, text in zip(indexes, texts, strict=True):
                results[index] = text
        return results

    def _generate_group(self, jobs: Sequence[Job], control: LanguageControl | None) -> list[str]:
        import torch

        steering = dict([control]) if control else {}
        with self.tokenizer_lock:
            inputs = self.tokenizer(
                [job.prompt.text for job in jobs],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.max_input_tokens,
            )
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                max_new_tokens=max(job.max_new_tokens for job in jobs),
                num_beams=self.num_beams,
                do_sample=False,
                no_repeat_ngram_size=NO_REPEAT_NGRAM_SIZE,
                **steering,
            )
        # Every row starts with the decoder start token, CrossSum's language token included,
        # which need not be a special token that decoding would skip.
        with self.tokenizer_lock:
            return self.tokenizer.batch_decode(output[:, 1:], skip_special_tokens=True)

def language_controls(config, tokenizer) -> dict[str, LanguageControl]:
    """ISO 639-1 code -> how to make this model write in that language (see the module doc)."""
    langid_map = (getattr(config, "task_specific_params", None) or {}).get("langid_map")
    if langid_map:
        controls: dict[str, LanguageControl] = {}
        for code, name in CROSSSUM_LANGUAGES.items():
            if name not in langid_map:
                continue
            token = langid_map[name][1]
            token_id = tokenizer.convert_tokens_to_ids(token)
            if token_id is None or token_id == tokenizer.unk_token_id:
                log.warning("no token %r in the tokenizer: summaries cannot be steered into %s", token, name)
                continue
            controls[code] = ("decoder_start_token_id", token_id)
        return controls
    # mBART codes are "<ISO 639-1>_<region>": "en_XX", "ru_RU".
    lang_code_to_id = getattr(tokenizer, "lang_code_to_id", None) or {}
    return {code.split("_")[0]: ("forced_bos_token_id", token) for code, token in lang_code_to_id.items()}


def _max_input_tokens(config, tokenizer) -> int:
    """The model's input limit: its positions, its tokenizer's stated limit, at most MAX_INPUT_TOKENS.

    T5-style models have relative positions and no stated limit; their tokenizer often states
    none either (a huge placeholder), which leaves MAX_INPUT_TOKENS.
    """
    limits = (getattr(config, "max_position_embeddings", None), tokenizer.model_max_length, MAX_INPUT_TOKENS)
    return min(limit for limit in limits if isinstance(limit, int) and limit > 0)
