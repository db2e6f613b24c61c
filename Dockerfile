# syntax=docker/dockerfile:1
# briefbot: the bot in one small process, with the offline model (or a hub model) baked in.
#   docker build -t briefbot .
#   docker build --build-arg MODEL=Qwen/Qwen2.5-1.5B-Instruct -t briefbot:qwen .
#   docker run -v briefbot-data:/data -v $PWD/briefbot.yaml:/config/briefbot.yaml:ro \
#              -e TELEGRAM_BOT_TOKEN=... briefbot
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src

# Dependencies in their own layer: it is rebuilt only when pyproject.toml changes.
# PyPI's torch wheel for Linux is the CUDA build (several GB); take the CPU build of the same version.
COPY pyproject.toml README.md ./
# hadolint ignore=DL3013
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && mkdir -p bot summarizer config web \
 && touch bot/__init__.py summarizer/__init__.py config/__init__.py web/__init__.py \
 && pip install ".[offline]" \
 && pip uninstall -y briefbot

COPY bot ./bot
COPY summarizer ./summarizer
COPY config ./config
COPY web ./web
RUN pip install --no-deps .

# Bake the model into the image: the offline default converted from its GGUF, or a hub model.
ARG MODEL=""
ENV BRIEFBOT_MODEL__CACHE_DIR=/opt/models \
    HF_HOME=/opt/models/hf
RUN if [ -z "$MODEL" ]; then \
      python -c "from summarizer import load_backend; load_backend(None, cache_dir='/opt/models')"; \
    else \
      python -c "import sys; from huggingface_hub import snapshot_download; snapshot_download(sys.argv[1])" "$MODEL"; \
    fi \
 && rm -rf /root/.cache

FROM python:${PYTHON_VERSION}-slim AS runtime
ARG MODEL=""
RUN groupadd --system --gid 10001 briefbot \
 && useradd --system --uid 10001 --gid briefbot --home-dir /data briefbot \
 && mkdir -p /data /config && chown briefbot:briefbot /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=10001:10001 /opt/models /opt/models
COPY config/example.yaml /config/briefbot.yaml
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HOME=/opt/models/hf \
    HF_HUB_OFFLINE=1 \
    BRIEFBOT_MODEL__CACHE_DIR=/opt/models \
    BRIEFBOT_STORAGE__URL=sqlite+aiosqlite:////data/briefbot.db \
    BRIEFBOT_SERVER__HOST=0.0.0.0 \
    BRIEFBOT_SERVER__PORT=8080
# Story grouping builds large arrays in worker threads; with glibc's defaults every thread's arena
# keeps what it freed. Two arenas, and large blocks mapped and given back, keep the process near
# what it uses (bench/grouping_memory.py, 10,000 articles in a window: peak RSS 307 MB, 371 MB without).
ENV MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072
# An empty MODEL keeps model.name from the config (null = the baked offline model).
ENV BRIEFBOT_MODEL__NAME=${MODEL:-}
USER 10001:10001
WORKDIR /data
VOLUME ["/data", "/opt/models"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# python-telegram-bot stops polling, finishes in-flight work and closes the store on SIGTERM.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run", "--config", "/config/briefbot.yaml"]
