from zmed_gui.core.convert._dates import (
    DateOrderGuess,
    DateOrderQuestion,
    asks_date_order,
    count_cells,
    count_texts,
    date_order_question,
    from_excel_serial,
    infer_date_order,
    parse_date_text,
)
from zmed_gui.core.convert._field import (
    FieldConverter,
    is_quantity_field,
)
from zmed_gui.core.convert._numbers import (
    to_number,
)
from zmed_gui.core.convert._options import (
    ConversionOptions,
    DateOrder,
    DateTimeFormat,
)
from zmed_gui.core.convert._patterns import (
    EPOCH_MS,
    DateFormat,
    parse_date_format,
)
from zmed_gui.core.convert._results import (
    EMPTY,
    Flagged,
    Problem,
    show,
)
from zmed_gui.core.convert._text import (
    to_boolean,
    to_string,
)
from zmed_gui.core.convert._times import (
    combine_date_time,
    resolve_timezone,
    to_time_of_day,
)

__all__ = [
    "EMPTY",
    "EPOCH_MS",
    "ConversionOptions",
    "DateFormat",
    "DateOrder",
    "DateOrderGuess",
    "DateOrderQuestion",
    "DateTimeFormat",
    "FieldConverter",
    "Flagged",
    "Problem",
    "asks_date_order",
    "combine_date_time",
    "count_cells",
    "count_texts",
    "date_order_question",
    "from_excel_serial",
    "infer_date_order",
    "is_quantity_field",
    "parse_date_format",
    "parse_date_text",
    "resolve_timezone",
    "show",
    "to_boolean",
    "to_number",
    "to_string",
    "to_time_of_day",
]
