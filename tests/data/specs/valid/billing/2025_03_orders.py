# Class aliases, module-level bindings, implicit concatenation, signed numbers.
from contractspec import DataStep as Data
from contractspec import MigrationCheck as Check
from contractspec import MigrationMeta as Meta
from contractspec import MigrationPlan as Plan
from contractspec import MigrationSpec as Spec
from contractspec import SchemaStep as Schema

NAME = "billing.db.2025_03_orders"
OWNERS = ["team-billing"]
TEAM = OWNERS  # a name bound to a name bound to a literal
TIMEOUT_MS: int = +30000  # an annotated binding; unary plus on a literal
NO_RETRIES = -0  # unary minus on a literal is still a literal
ORDERS_SQL = (
    "CREATE TABLE orders ("
    " id INTEGER PRIMARY KEY,"
    " user_id INTEGER NOT NULL"
    ")"
)
STATUS_CHECK = Check("no order lacks a status", "SELECT COUNT(*) = 0 FROM orders WHERE status IS NULL")
UNUSED = "unused bindings are never read"

orders = Spec(
    meta=Meta(name=NAME, version=1, title="Add " "orders", owners=TEAM, tags=("schema",), stability="experimental"),
    plan=Plan(
        up=[
            Schema(ORDERS_SQL, timeout_ms=TIMEOUT_MS, retries=NO_RETRIES),
            Schema("ALTER TABLE orders ADD COLUMN status TEXT", post_checks=[STATUS_CHECK]),
            Data(script="UPDATE orders SET status = 'open'", description=None),
        ],
        down=None,  # irreversible
    ),
    dependencies=["core.db.2025_01_add_users"],
)
