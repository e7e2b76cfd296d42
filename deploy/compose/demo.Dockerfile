# The demo driver for the compose stack (profile `demo`): the `fourx-dev` launcher (fourx-local)
# and the operator's tool it uses, never a service's code. It runs `fourx-dev demo` against
# the running services (deploy/compose/attach.py tells it where they are).
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ghcr.io/astral-sh/uv:0.13.8 AS uv

FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY shared/contracts/ shared/contracts/
COPY shared/platform/ shared/platform/
COPY tools/ops/ tools/ops/
COPY deploy/local/ deploy/local/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --package fourx-local --no-dev --no-editable

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 fourx \
 && useradd --system --uid 10001 --gid fourx --create-home --shell /usr/sbin/nologin fourx
COPY --from=builder /opt/venv /opt/venv
# No checkout in the image: FOURX_STATE_DIR names the state folder fourx-dev would keep in it.
COPY deploy/compose/attach.py /home/fourx/attach.py
# The state volume (token keys, stack.json) is created owned by fourx from this folder.
RUN mkdir -p /state && chown fourx:fourx /state
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 FOURX_STATE_DIR=/state
WORKDIR /home/fourx
USER 10001:10001
HEALTHCHECK NONE
CMD ["sh", "-c", "python /home/fourx/attach.py && fourx-dev demo"]
