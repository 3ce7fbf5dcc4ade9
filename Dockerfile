# Samverka under Daphne (HTTP and WebSockets). Configuration comes from the environment:
# see docker-compose.yml and README.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY . .
# Installs the pinned dependencies (and a copy of the project, unused: /app comes first on
# sys.path for both manage.py and daphne, so templates, static files and locale are found).
RUN pip install . \
    && rm -rf build *.egg-info

# Static files with the production manifest storage. Settings refuse to load in production
# without these variables; the values are placeholders used only for this build step.
RUN SAMVERKA_ENV=production \
    DJANGO_SECRET_KEY=collectstatic-only \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    REDIS_URL=redis://collectstatic.invalid:6379/0 \
    SAMVERKA_KEY_DIR=/run/samverka-keys \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app samverka
USER samverka

EXPOSE 8000
CMD ["daphne", "--verbosity", "0", "-b", "0.0.0.0", "-p", "8000", "asgi:application"]
