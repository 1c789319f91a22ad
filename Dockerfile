# creditdesk: the API, web app and scheduler in one image (a non-root user, no compilers).
# Build: docker build -t creditdesk .   Run: see compose.yaml and docs/operations.md
ARG PYTHON_VERSION=3.11

# --- build: install creditdesk and its locked dependencies into a virtualenv -------------------
FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/creditdesk
COPY pyproject.toml requirements.lock README.md ./
COPY src ./src
# as `make venv` does: the versions of requirements.lock, here with PostgreSQL support
RUN /opt/creditdesk/bin/python -m pip install --quiet -c requirements.lock '.[postgres]'

# --- runtime: the virtualenv only ------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/creditdesk \
        creditdesk
COPY --from=build /opt/creditdesk /opt/creditdesk
ENV PATH=/opt/creditdesk/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CREDITDESK_HOST=0.0.0.0 \
    CREDITDESK_PORT=8000 \
    CREDITDESK_DATABASE_URL=sqlite:////var/lib/creditdesk/creditdesk.db
USER creditdesk
WORKDIR /var/lib/creditdesk
VOLUME ["/var/lib/creditdesk"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('CREDITDESK_PORT', '8000')}/api/v1/ready\", timeout=4)"]
CMD ["creditdesk", "serve"]
