-- Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d/).
-- One database per service: no service reads another's tables. Each service creates its own
-- tables at start-up (Alembic migrations), so only the empty databases are made here.
-- They belong to POSTGRES_USER, the role the services connect with (see docker-compose.yml).
CREATE DATABASE registry;
CREATE DATABASE milestones;
CREATE DATABASE alerts;
CREATE DATABASE reports;
