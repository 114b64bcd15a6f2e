from zmed_gui.core.read._decrypt import (
    PasswordNeeded,
)
from zmed_gui.core.read._load import (
    list_sheets,
    load_table,
    read_grid,
)
from zmed_gui.core.read._sniff import (
    SUPPORTED_EXTENSIONS,
)
from zmed_gui.core.read._tablemake import (
    detect_header_row,
    make_table,
)
from zmed_gui.core.read._text import (
    check_encoding,
    decode_text,
    detect_delimiter,
    encoding_label,
    read_text_grid,
)

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "PasswordNeeded",
    "check_encoding",
    "decode_text",
    "detect_delimiter",
    "detect_header_row",
    "encoding_label",
    "list_sheets",
    "load_table",
    "make_table",
    "read_grid",
    "read_text_grid",
]
