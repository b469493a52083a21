# The platform's image: Airflow 3.3 with the timpora package (DAGs, plugins, SQL, suites).
# Every Airflow component and the review app run from it; docker-compose.yml wires them.
FROM apache/airflow:3.3.2-python3.11

USER root
RUN mkdir -p /opt/timpora /opt/timpora-data && chown -R airflow:0 /opt/timpora /opt/timpora-data
USER airflow

COPY --chown=airflow:0 pyproject.toml README.md /opt/timpora/
COPY --chown=airflow:0 src /opt/timpora/src
COPY --chown=airflow:0 sql /opt/timpora/sql
COPY --chown=airflow:0 expectations /opt/timpora/expectations
COPY --chown=airflow:0 dags /opt/timpora/dags
COPY --chown=airflow:0 plugins /opt/timpora/plugins
COPY --chown=airflow:0 config /opt/timpora/config
RUN pip install --no-cache-dir -e "/opt/timpora[production]"

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/timpora/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/timpora/plugins \
    TIMPORA_DATA_DIR=/opt/timpora-data
WORKDIR /opt/timpora
