/* Spool rows straight into Arrow's column layout: `packager.collect.SpoolWriter`'s buffer
 * where a C compiler is.
 *
 * A worker spools a chunk of parsed pages as one record batch per bucket. Made in Python,
 * that is a tuple a row, the rows transposed to columns, every column converted by
 * `pyarrow.array`, then the table sorted by bucket and cut: a fifth of a worker's time.
 * Here each bucket is a `Rows`, whose columns are Arrow buffers (validity bitmap, int32
 * offsets and UTF-8 data for strings; int64; date32 as days since 1970-01-01) that a row
 * is appended to value by value; `columns()` hands them to `pyarrow.Array.from_buffers`.
 *
 * The values are those `pyarrow.array` takes for these types: str or None, int or None,
 * datetime.date or None. Anything else is a TypeError; `append` and `extend` add all
 * their rows or none. tests/test_spoolrows.py checks the batches against pyarrow's. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <stdint.h>
#include <string.h>

#define EPOCH_ORDINAL 719163 /* date(1970, 1, 1).toordinal() */

typedef struct {
    char *p;
    Py_ssize_t len, cap;
} Buf;

static int buf_reserve(Buf *b, Py_ssize_t more) {
    if (b->len + more <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) cap *= 2;
    char *p = PyMem_Realloc(b->p, cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const void *s, Py_ssize_t n) {
    if (buf_reserve(b, n) < 0) return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

typedef struct {
    char kind;      /* 's' string, 'q' int64, 'd' date32 */
    Buf validity;   /* a bit a row, 1 where the value is not null */
    Buf offsets;    /* strings: int32 offsets, one more than rows */
    Buf data;       /* string bytes, or the int64 / int32 values */
    Py_ssize_t nulls;
} Column;

typedef struct {
    PyObject_HEAD
    Column *columns;
    Py_ssize_t ncolumns, rows, max_bytes;
} Rows;

/* date.toordinal() */
static long ordinal(PyObject *date) {
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    long y = PyDateTime_GET_YEAR(date), m = PyDateTime_GET_MONTH(date);
    long leap = m > 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
    long p = y - 1;
    return p * 365 + p / 4 - p / 100 + p / 400 + before[m - 1] + leap + PyDateTime_GET_DAY(date);
}

static void rows_clear(Rows *self) {
    for (Py_ssize_t i = 0; i < self->ncolumns; i++) {
        PyMem_Free(self->columns[i].validity.p);
        PyMem_Free(self->columns[i].offsets.p);
        PyMem_Free(self->columns[i].data.p);
    }
    PyMem_Free(self->columns);
    self->columns = NULL;
    self->ncolumns = 0;
}

static void rows_dealloc(Rows *self) {
    rows_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int rows_init(Rows *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"kinds", "max_bytes", NULL};
    const char *kinds;
    Py_ssize_t n, max_bytes = INT32_MAX;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s#|n", keywords, &kinds, &n, &max_bytes))
        return -1;
    if (n == 0 || max_bytes < 0 || max_bytes > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "Rows(kinds): one of s, q, d a column; max_bytes "
                                          "from 0 to 2**31 - 1");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (kinds[i] != 's' && kinds[i] != 'q' && kinds[i] != 'd') {
            PyErr_Format(PyExc_ValueError, "Rows(kinds): %c is not s, q or d", kinds[i]);
            return -1;
        }
    }
    rows_clear(self);
    self->columns = PyMem_Calloc(n, sizeof(Column));
    if (self->columns == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->ncolumns = n;
    self->rows = 0;
    self->max_bytes = max_bytes;
    for (Py_ssize_t i = 0; i < n; i++) {
        self->columns[i].kind = kinds[i];
        int32_t zero = 0;
        if (kinds[i] == 's' && buf_put(&self->columns[i].offsets, &zero, sizeof zero) < 0)
            return -1;
    }
    return 0;
}

/* Append one value to column `c` at row `row`; -1 with an exception set. */
static int put_value(Rows *self, Column *c, Py_ssize_t row, PyObject *value) {
    if (row % 8 == 0) {
        char byte = 0;
        if (buf_put(&c->validity, &byte, 1) < 0) return -1;
    }
    int valid = value != Py_None;
    if (valid) c->validity.p[row / 8] |= (char)(1 << (row % 8));
    else c->nulls++;
    switch (c->kind) {
    case 's': {
        Py_ssize_t size = 0;
        const char *utf8 = "";
        if (valid) {
            if (!PyUnicode_Check(value)) {
                PyErr_Format(PyExc_TypeError, "a str or None, not %.100s", Py_TYPE(value)->tp_name);
                return -1;
            }
            utf8 = PyUnicode_AsUTF8AndSize(value, &size);
            if (utf8 == NULL) return -1;
        }
        if (size > self->max_bytes - c->data.len) {
            PyErr_SetString(PyExc_OverflowError, "a string column of Rows is full");
            return -1;
        }
        int32_t end = (int32_t)(c->data.len + size);
        if (buf_put(&c->data, utf8, size) < 0) return -1;
        return buf_put(&c->offsets, &end, sizeof end);
    }
    case 'q': {
        int64_t number = 0;
        if (valid) {
            if (!PyLong_Check(value)) {
                PyErr_Format(PyExc_TypeError, "an int or None, not %.100s", Py_TYPE(value)->tp_name);
                return -1;
            }
            number = PyLong_AsLongLong(value);
            if (number == -1 && PyErr_Occurred()) return -1;
        }
        return buf_put(&c->data, &number, sizeof number);
    }
    default: { /* 'd' */
        int32_t days = 0;
        if (valid) {
            if (!PyDate_Check(value) || PyDateTime_Check(value)) {
                PyErr_Format(PyExc_TypeError, "a date or None, not %.100s", Py_TYPE(value)->tp_name);
                return -1;
            }
            days = (int32_t)(ordinal(value) - EPOCH_ORDINAL);
        }
        return buf_put(&c->data, &days, sizeof days);
    }
    }
}

/* Cut every column back to its first `rows` rows. */
static void truncate_rows(Rows *self, Py_ssize_t rows) {
    for (Py_ssize_t i = 0; i < self->ncolumns; i++) {
        Column *c = &self->columns[i];
        if (c->validity.len > (rows + 7) / 8) c->validity.len = (rows + 7) / 8;
        if (rows % 8 && c->validity.len > rows / 8) /* the bits past the last row */
            c->validity.p[rows / 8] &= (char)((1 << (rows % 8)) - 1);
        c->nulls = 0;
        for (Py_ssize_t row = 0; row < rows; row++)
            c->nulls += !((c->validity.p[row / 8] >> (row % 8)) & 1);
        if (c->kind == 's') {
            int32_t end;
            memcpy(&end, c->offsets.p + rows * (Py_ssize_t)sizeof end, sizeof end);
            c->data.len = end;
            c->offsets.len = (rows + 1) * (Py_ssize_t)sizeof end;
        }
        else {
            c->data.len = rows * (c->kind == 'q' ? 8 : 4);
        }
    }
    self->rows = rows;
}

/* Append `values` (a tuple or list of ncolumns - 1 values) and `page` as a row; -1 with an
 * exception set, and some columns perhaps one value longer (see truncate_rows). */
static int put_row(Rows *self, PyObject *values, PyObject *page) {
    PyObject *seq = PySequence_Fast(values, "a row is a tuple or list");
    if (seq == NULL) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n != self->ncolumns - 1) {
        PyErr_Format(PyExc_ValueError, "a row of %zd values, not %zd", self->ncolumns - 1, n);
        Py_DECREF(seq);
        return -1;
    }
    for (Py_ssize_t i = 0; i < self->ncolumns; i++) {
        PyObject *value = i < n ? PySequence_Fast_GET_ITEM(seq, i) : page;
        if (put_value(self, &self->columns[i], self->rows, value) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    self->rows++;
    return 0;
}

static PyObject *rows_append(Rows *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "append(values, page)");
        return NULL;
    }
    Py_ssize_t before = self->rows;
    if (put_row(self, args[0], args[1]) < 0) {
        truncate_rows(self, before); /* a row that fails is taken back */
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *rows_extend(Rows *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "extend(rows, page)");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[0], "extend(rows, page): rows is a list or tuple");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), before = self->rows;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (put_row(self, PySequence_Fast_GET_ITEM(seq, i), args[1]) < 0) {
            Py_DECREF(seq);
            truncate_rows(self, before); /* all the rows or none */
            return NULL;
        }
    }
    Py_DECREF(seq);
    Py_RETURN_NONE;
}

static PyObject *bytes_of(const Buf *b, Py_ssize_t n) {
    return PyBytes_FromStringAndSize(b->p ? b->p : "", n);
}

/* [(null_count, validity or None, offsets or None, data)] a column. */
static PyObject *rows_columns(Rows *self, PyObject *unused) {
    (void)unused;
    PyObject *out = PyList_New(self->ncolumns);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < self->ncolumns; i++) {
        Column *c = &self->columns[i];
        PyObject *validity = c->nulls ? bytes_of(&c->validity, (self->rows + 7) / 8) : Py_NewRef(Py_None);
        PyObject *offsets = c->kind == 's' ? bytes_of(&c->offsets, c->offsets.len) : Py_NewRef(Py_None);
        PyObject *data = bytes_of(&c->data, c->data.len);
        PyObject *item = NULL;
        if (validity != NULL && offsets != NULL && data != NULL)
            item = Py_BuildValue("(nOOO)", c->nulls, validity, offsets, data);
        Py_XDECREF(validity);
        Py_XDECREF(offsets);
        Py_XDECREF(data);
        if (item == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, item);
    }
    return out;
}

static Py_ssize_t rows_len(Rows *self) { return self->rows; }

static PyMethodDef rows_methods[] = {
    {"append", (PyCFunction)(void (*)(void))rows_append, METH_FASTCALL,
     "append(values, page): a row of the values and then page (or, on error, nothing)."},
    {"extend", (PyCFunction)(void (*)(void))rows_extend, METH_FASTCALL,
     "extend(rows, page): append(values, page) for each values of rows (all or none)."},
    {"columns", (PyCFunction)rows_columns, METH_NOARGS,
     "columns() -> [(null_count, validity, offsets, data)]: each column's Arrow buffers."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods rows_sequence = {.sq_length = (lenfunc)rows_len};

static PyTypeObject RowsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "packager._spoolrows.Rows",
    .tp_basicsize = sizeof(Rows),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Rows(kinds, max_bytes=2**31 - 1): rows appended into Arrow's column layout; "
              "kinds has a letter a column: s (string), q (int64), d (date32). A string "
              "column holds at most max_bytes bytes (OverflowError past them).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)rows_init,
    .tp_dealloc = (destructor)rows_dealloc,
    .tp_methods = rows_methods,
    .tp_as_sequence = &rows_sequence,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_spoolrows", "Spool rows in Arrow's column layout.", -1,
    NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__spoolrows(void) {
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    if (PyType_Ready(&RowsType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Rows", (PyObject *)&RowsType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
