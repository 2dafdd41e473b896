"""What plotly's JupyterLab front end sends back to a FigureWidget after each edit, in Python.

After every restyle, add or delete, the front end compares each trace of the plot (its full data)
with the trace at the same index of the widget's `_widget_data` (the data as it was when the widget
was displayed) and sends the difference as `_js2py_traceDeltas`. A 1-D numeric numpy array reaches
the browser as a typed array, and the difference of two typed arrays comes back as an object keyed
by index, which plotly's Python side then tests for truth against the numpy array it holds; a trace
index the plot no longer has comes back without a uid. `echo_trace_deltas` builds that message the
way the front end does and hands it to the widget, so a test sees what JupyterLab's Log Console saw.
"""
from __future__ import annotations

import math

import numpy as np
from plotly.basedatatypes import Undefined


class TypedArray(list):
    """A JavaScript typed array: not an Array for `Array.isArray`, compared element by element."""


def to_js(value):
    """A Python value as the front end holds it (plotly's serializer: 1-D numeric arrays other than
    int64 become typed arrays, other arrays lists)."""
    if isinstance(value, dict):
        return {k: to_js(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_js(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.ndim == 1 and value.dtype.kind in "uif" and value.dtype not in (np.int64, np.uint64):
            return TypedArray(value.tolist())
        return to_js(value.tolist())
    return value


def _equal(a, b) -> bool:                      # lodash isEqual: deep, NaN equals NaN, types must match
    if type(a) is not type(b) and not (_number(a) and _number(b)):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if _number(a) and isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _object(v) -> bool:                        # typeof v == "object" for a non-null value
    return isinstance(v, (dict, list))


def delta(full, data):
    """The front end's difference of a plotted trace `full` against the displayed trace `data`."""
    out: dict | list = [Undefined] * len(full) if type(full) is list else {}
    if data is None:
        data = {}
    items = full.items() if isinstance(full, dict) else enumerate(full)
    for key, value in ([] if full is None else items):
        if (isinstance(key, str) and key.startswith("_")) or value is None:
            continue
        has = key in data if isinstance(data, dict) else (isinstance(key, int) and key < len(data))
        theirs = data[key] if has else None
        if _equal(value, theirs) and key != "uid":
            continue
        slot = key if type(out) is list else str(key)
        if has and _object(value):
            if type(value) is list:
                if value and _object(value[0]):
                    out[slot] = [value[i] if type(theirs) is not list or len(theirs) <= i
                                 else delta(value[i], theirs[i]) for i in range(len(value))]
                else:
                    out[slot] = value
            else:
                sub = delta(value, theirs)
                if sub:
                    out[slot] = sub
        elif isinstance(value, dict) or type(value) is TypedArray:
            out[slot] = delta(value, {})
        else:
            out[slot] = value
    return out


def echo_trace_deltas(fig) -> list:
    """Send the widget the trace deltas the front end would send after the last edit; returns them."""
    shown = [to_js(t) for t in fig._widget_data]
    plotted = [to_js(t) for t in fig._data]
    deltas = [delta(plotted[i] if i < len(plotted) else None, shown[i]) for i in range(len(shown))]
    fig._js2py_traceDeltas = {"trace_deltas": deltas, "trace_edit_id": fig._last_trace_edit_id}
    return deltas
