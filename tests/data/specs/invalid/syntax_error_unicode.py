# A syntax error after non-ASCII text: the column counts characters.
# expect: invalid/syntax_error_unicode.py:5:27: syntax error: invalid syntax
from contractspec import MigrationMeta

TITLE = "Ünïcødé → 表" "x" 1
