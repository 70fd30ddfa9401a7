-- The two PostgreSQL roles of fonds-quartiers. Run once, as a superuser:
--   psql -v owner_password=… -v app_password=… -f deploy/database-roles.sql
-- fq_owner owns the database and its schema and runs the migrations; fq_app is what
-- the application connects as: it owns nothing (so it cannot ALTER a table or switch a
-- trigger off), may not TRUNCATE, and `manage.py migrate` run as fq_owner (with
-- DATABASE_APP_ROLE=fq_app) grants it exactly its rights (accounts/dbroles.py).
CREATE ROLE fq_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE fq_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
CREATE DATABASE fonds OWNER fq_owner;
\connect fonds
ALTER SCHEMA public OWNER TO fq_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE TEMPORARY ON DATABASE fonds FROM PUBLIC;
GRANT CONNECT ON DATABASE fonds TO fq_app;
GRANT USAGE ON SCHEMA public TO fq_app;
