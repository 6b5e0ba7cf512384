"""Alembic environment: runs against the engine handed over in `config.attributes`."""

from __future__ import annotations

from alembic import context

from receipting.schema import metadata

target_metadata = metadata


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        raise RuntimeError(
            "No database engine was given to the migrations. Run them with "
            "`receipting db upgrade` (or migrations.upgrade(engine)), not the bare alembic CLI."
        )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise RuntimeError("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
