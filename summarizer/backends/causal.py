"""transformers causal LMs: base models through a completion cue, chat models through their template."""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.backends.base import CHARS_PER_TOKEN_FLOOR
from summarizer.backends.local import Job, LocalTransformersBackend
from summarizer.backends.model_files import ModelSource, convert_gguf
from summarizer.backends.prompts import (
    COMPLETION_VARIANTS,
    chat_messages,
    completion_prompt,
    headline_completion_prompt,
    headline_messages,
)
from summarizer.backends.steering import ScriptBias, ScriptMasks, Steering, repetition_penalty
from summarizer.translation.prompts import translation_completion_prompt, translation_messages
from summarizer.types import ModelLoadError

MAX_CHUNK_TOKENS = 2048
# Longest prompt in a batch relative to its shortest (plus a few tokens). Padding only costs
# prefill, which is cheap next to decoding: with the offline model on 2 cores, a 637-token prompt
# is read in 1.1 s and 100 tokens take 10.5 s to decode, and one decode loop of 8 rows costs about
# 2 of one row (each step reads the 262k-word output layer once for the whole batch). So articles
# of quite different lengths still share a batch; headline prompts stay apart from articles.
PADDING_TOLERANCE = 4.0
ANSWER_SLACK = 40
# A small local model loses the thread in one prompt of several articles in several languages
# (the five-outlet Parler story came out as unrelated text) while it summarises each one faithfully;
# three articles in one batch decode in little more time than one.
PER_SOURCE = 3


class CausalLMBackend(LocalTransformersBackend):
    backend_name = "transformers-causal"
    per_source = PER_SOURCE

    def __init__(
        self, source: ModelSource, *, max_batch: int = 8, threads: int | None = None, prompt_style: str | None = None
    ) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if source.gguf_file is not None:
            convert_gguf(source, AutoModelForCausalLM, AutoTokenizer)
        super().__init__(source, AutoModelForCausalLM, max_batch=max_batch, threads=threads)
        self.tokenizer.padding_side = "left"  # generation continues from the right edge
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        # Decoder-only models read long contexts well; one call over a whole multi-outlet story
        # beats summarising summaries. The rest of the context holds the prompt and the answer.
        context = getattr(self.model.config, "max_position_embeddings", None) or 2048
        self.chunk_tokens = max(256, min(MAX_CHUNK_TOKENS, context - 512))
        has_template = bool(getattr(self.tokenizer, "chat_template", None))
        if prompt_style == "chat" and not has_template:
            raise ModelLoadError(f"prompt_style 'chat': model {source.spec} has no chat template")
        self.chat = has_template if prompt_style is None else prompt_style == "chat"
        self.prompt_variants = 1 if self.chat else COMPLETION_VARIANTS
        self.script_masks = ScriptMasks(self.tokenizer)

    def prompt(self, source: str, language: str, max_chars: int, variant: int) -> str:
        if self.chat:
            return self._chat_prompt(chat_messages(source, language, max_chars))
        return completion_prompt(source, language, variant)

    async def generate_steered(self, prompt, max_new_tokens: int, steering: Steering) -> str:
        return await self._worker.submit(Job(prompt, max_new_tokens, steering))

    def translation_prompt(self, sentence: str, source_language: str, target_language: str) -> str:
        if self.chat:
            return self._chat_prompt(translation_messages(sentence, source_language, target_language))
        return translation_completion_prompt(sentence, source_language, target_language)

    def headline_prompt(self, summary: str, language: str) -> str:
        if self.chat:
            return self._chat_prompt(headline_messages(summary, language))
        return headline_completion_prompt(summary, language)

    def _chat_prompt(self, messages: list[dict[str, str]]) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def generate_batch(self, jobs: Sequence[Job]) -> list[str]:
        """Prompts of comparable length run together; padding a short prompt to a far longer
        one's length would cost more than running it on its own. Translations and summaries are
        decoded apart (their repetition penalties differ)."""
        with self.tokenizer_lock:
            lengths = [len(ids) for ids in self.tokenizer([job.prompt for job in jobs]).input_ids]
        penalties = [repetition_penalty(job.steering) for job in jobs]
        order = sorted(range(len(jobs)), key=lambda index: (penalties[index], lengths[index]))
        results = [""] * len(jobs)
        group: list[int] = []
        for index in order:
            if group and (
                lengths[index] > PADDING_TOLERANCE * lengths[group[0]] + 32 or penalties[index] != penalties[group[0]]
            ):
                self._generate_group(jobs, group, results)
                group = []
            group.append(index)
        self._generate_group(jobs, group, results)
        return results

    def _generate_group(self, jobs: Sequence[Job], group: list[int], results: list[str]) -> None:
        for index, text in zip(group, self._generate([jobs[i] for i in group]), strict=True):
            results[index] = text

    def _generate(self, jobs: Sequence[Job]) -> list[str]:
        import torch

        with self.tokenizer_lock:
            inputs = self.tokenizer([job.prompt for job in jobs], return_tensors="pt", padding=True)
            steer = self._script_bias(jobs)
        prompt_length = inputs.input_ids.shape[1]
        # A sentence running past max_chars is cut whole by postprocessing; ANSWER_SLACK lets it end.
        answer_limits = [int(job.max_new_tokens * CHARS_PER_TOKEN_FLOOR) + ANSWER_SLACK for job in jobs]
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                max_new_tokens=max(job.max_new_tokens for job in jobs),
                do_sample=False,
                repetition_penalty=repetition_penalty(jobs[0].steering),
                stopping_criteria=[_AnswerComplete(self.tokenizer, prompt_length, answer_limits)],
                logits_processor=steer,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        with self.tokenizer_lock:
            return self.tokenizer.batch_decode(output[:, prompt_length:], skip_special_tokens=True)

    def _script_bias(self, jobs: Sequence[Job]) -> list[ScriptBias]:
        """The logits processor keeping each steered row in its language's script (none if no row is)."""
        import torch

        if all(job.steering is None for job in jobs):
            return []
        width = self.model.get_output_embeddings().weight.shape[0]
        return [ScriptBias(torch.stack([self.script_masks.bias(job.steering, width) for job in jobs]))]


class _AnswerComplete:
    """Stops a row once its answer holds a blank line (the summary paragraph is complete) or is
    longer than the text its token budget was sized for (the rest would be trimmed away).

    Decoding only the answer keeps this cheap, unlike generate's `stop_strings`, which rebuilds
    tables over the whole vocabulary on every call.
    """

    def __init__(self, tokenizer, prompt_length: int, max_chars: list[int]) -> None:
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length
        self.max_chars = max_chars

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        answers = self.tokenizer.batch_decode(input_ids[:, self.prompt_length :], skip_special_tokens=True)
        done = [
            "\n\n" in answer.lstrip("\n") or len(answer.strip()) > limit
            for answer, limit in zip(answers, self.max_chars, strict=True)
        ]
        return torch.tensor(done, device=input_ids.device)
