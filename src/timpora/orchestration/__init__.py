"""Airflow wiring: assets, DAG builders and task bodies. DAG files in ``dags/`` call these.

Modules here import only ``airflow.sdk`` and ``pendulum`` at the top, so parsing a DAG
file opens no connection and loads no heavy library; task bodies import the rest.
"""
