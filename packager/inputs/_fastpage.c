/* The page reader's compiled path: `packager.inputs.pages.read_pieces` for the pages most
 * dumps are, in C.
 *
 * It takes pages that are valid UTF-8 (after an optional byte-order mark) with no control
 * byte and no white space but ASCII's, and that read as a page dump. For those it returns
 * the page's pieces by name, the same values `read_pieces` finds; for anything else
 * (another encoding, a control byte, a non-ASCII space or digit, no Date: line, an
 * impossible date, no title) it returns None and Python reads the page. The record
 * (derived fields, the byline rule, every check) is made from the pieces by
 * `packager.contract.record.make_record`, as for any input. Tests check
 * that both readers find the same pieces, page by page (tests/test_fastpage.py).
 *
 * It also counts a body's words and guesses its language
 * (`packager.contract.rules.word_count_and_language`, which the page reader hands to
 * `make_record`), for any text whose white space it knows as Python does; tests check it
 * against the Python rule on corpora and on hypothesis's text.
 *
 * With no white space but " \t\n\v\f\r" (the other ASCII white space, \x1c-\x1f, are
 * control bytes: rejected), str.split, str.strip and the regexes' \s all work byte by byte
 * on UTF-8. Line breaks are "\n" once "\r\n" and "\r" are made "\n", as the Python reader
 * does. A non-ASCII character where the regexes' \d could take it makes the page Python's. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <stdint.h>
#include <string.h>

/* The language rule's data is `packager.contract.language`'s, given by `configure_language`
 * at import: the sample sizes, the scripts (code, code-point ranges, share that decides)
 * and the Latin languages' stop words. Until it is given, no language is guessed here. */
static Py_ssize_t SAMPLE = 0, LATIN_SAMPLE = 0;
static int LANGUAGE_READY = 0;

static const char *MONTHS[12] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
};

static inline int is_hspace(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }
static unsigned char SPACE[256]; /* 1 for " \t\n\v\f\r": is_space by table, for the word loops */
static inline int is_space(char c) { return SPACE[(unsigned char)c]; }
/* 1: str.split's ASCII white space (SPACE and \x1c-\x1f); 2: the lead byte of one of its
 * non-ASCII white-space characters, or of another character (`py_space` tells) */
static unsigned char PY_SPACE[256];
/* \x1c-\x1f: white space to Python's str.split, not to the word loops. */
static unsigned char FILE_SEPARATORS[256];
static inline int is_digit(char c) { return c >= '0' && c <= '9'; }
static inline int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static inline int is_lower(char c) { return c >= 'a' && c <= 'z'; }
static inline int is_high(char c) { return (unsigned char)c >= 0x80; }
static inline char to_lower(char c) { return is_upper(c) ? (char)(c + 32) : c; }

static int has_high(const char *s, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (is_high(s[i])) return 1;
    return 0;
}

/* The number of characters in valid UTF-8. */
static Py_ssize_t chars(const char *s, Py_ssize_t n) {
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n; i++) count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}


/* The code point that starts at s[*i] in valid UTF-8; *i moves past it. */
static Py_UCS4 next_char(const char *s, Py_ssize_t *i) {
    unsigned char c = (unsigned char)s[*i];
    int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    Py_UCS4 cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; k++) cp = (cp << 6) | ((unsigned char)s[*i + k] & 0x3F);
    *i += len;
    return cp;
}

/* The byte offset of character `count` (or `n`, if there are fewer). */
static Py_ssize_t char_offset(const char *s, Py_ssize_t n, Py_ssize_t count) {
    if (!has_high(s, count < n ? count : n)) return count < n ? count : n; /* ASCII: bytes */
    Py_ssize_t i = 0;
    while (i < n && count > 0) {
        next_char(s, &i);
        count--;
    }
    return i < n ? i : n;
}

/* Where the line that starts at `a` ends: its "\n", or `end`. */
static inline Py_ssize_t line_end(const char *t, Py_ssize_t a, Py_ssize_t end) {
    const char *nl = a < end ? memchr(t + a, '\n', (size_t)(end - a)) : NULL;
    return nl ? nl - t : end;
}

/* A growing byte buffer. */
typedef struct {
    char *p;
    Py_ssize_t len, cap;
} Buf;

static int buf_put(Buf *b, const char *s, Py_ssize_t n) {
    if (n == 0) return 0;
    if (b->len + n > b->cap) {
        Py_ssize_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n) cap *= 2;
        char *p = PyMem_Realloc(b->p, cap);
        if (p == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

/* A block: a run of non-blank lines, each stripped, joined by one space, as
 * `pagedump.Blocks` makes them. A block of one line is its line in the page's text; the
 * text of a block of more lines is made in the arena, at `off`. */
typedef struct {
    Py_ssize_t off, len, lines;
    Py_ssize_t first_off, first_len; /* its first line, stripped, in the page's text */
} Block;

typedef struct {
    const char *page;
    Block *items;
    Py_ssize_t count, cap;
    Buf arena;
} Blocks;

static void blocks_free(Blocks *b) {
    PyMem_Free(b->items);
    PyMem_Free(b->arena.p);
}

static int find_blocks(const char *t, Py_ssize_t start, Py_ssize_t end, Blocks *out) {
    int open = 0;
    Py_ssize_t a = start;
    out->page = t;
    for (;;) {
        Py_ssize_t b = line_end(t, a, end);
        Py_ssize_t s = a, e = b;
        while (s < e && is_hspace(t[s])) s++;
        while (e > s && is_hspace(t[e - 1])) e--;
        if (s == e) {
            open = 0;
        } else if (open) {
            Block *k = &out->items[out->count - 1];
            if (k->lines == 1) { /* its text is made in the arena from now on */
                k->off = out->arena.len;
                if (buf_put(&out->arena, t + k->first_off, k->first_len) < 0) return -1;
            }
            if (buf_put(&out->arena, " ", 1) < 0 || buf_put(&out->arena, t + s, e - s) < 0)
                return -1;
            k->len += 1 + (e - s);
            k->lines++;
        } else {
            if (out->count == out->cap) {
                Py_ssize_t cap = out->cap ? out->cap * 2 : 64;
                Block *items = PyMem_Realloc(out->items, cap * sizeof(Block));
                if (items == NULL) {
                    PyErr_NoMemory();
                    return -1;
                }
                out->items = items;
                out->cap = cap;
            }
            Block *k = &out->items[out->count++];
            k->off = -1;
            k->len = e - s;
            k->lines = 1;
            k->first_off = s;
            k->first_len = e - s;
            open = 1;
        }
        if (b >= end) break;
        a = b + 1;
    }
    return 0;
}

static inline const char *block_text(const Blocks *b, Py_ssize_t k) {
    const Block *block = &b->items[k];
    return block->lines == 1 ? b->page + block->first_off : b->arena.p + block->off;
}

/* The next word (a run of anything but white space, the bytes `space` marks) from s[*i]:
 * 1 with the word at s[*start..*i), 0 at the end. */
static inline int next_word_by(const unsigned char *space, const char *s, Py_ssize_t n,
                               Py_ssize_t *i, Py_ssize_t *start) {
    Py_ssize_t k = *i; /* a local: a char pointer may alias *i, which the loops would reload */
    while (k < n && space[(unsigned char)s[k]]) k++;
    *i = k;
    if (k == n) return 0;
    *start = k;
    while (k < n && !space[(unsigned char)s[k]]) k++;
    *i = k;
    return 1;
}

/* `next_word_by` with the white space of the page reader and the word loops (`SPACE`). */
static int next_word(const char *s, Py_ssize_t n, Py_ssize_t *i, Py_ssize_t *start) {
    return next_word_by(SPACE, s, n, i, start);
}

/* `collapse`: white-space runs to one space, stripped; appended to `out`. */
static int collapse(const char *s, Py_ssize_t n, Buf *out) {
    Py_ssize_t i = 0, start;
    int first = 1;
    while (next_word(s, n, &i, &start)) {
        if (!first && buf_put(out, " ", 1) < 0) return -1;
        if (buf_put(out, s + start, i - start) < 0) return -1;
        first = 0;
    }
    return 0;
}

static int days_in_month(int y, int m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return days[m - 1];
}

static int valid_date(int y, int m, int d) {
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

#define UNSURE -2 /* a non-ASCII digit where \d could take it: the page is Python's */

/* Digits s[*i..] (between `least` and `most` of them, as a regex's \d{least,most} takes
 * them greedily); -1 if fewer than `least`; UNSURE at a non-ASCII digit, which \d takes
 * too. */
static int digits(const char *s, Py_ssize_t n, Py_ssize_t *i, int least, int most) {
    int value = 0, count = 0;
    while (*i < n && count < most && is_digit(s[*i])) {
        value = value * 10 + (s[*i] - '0');
        (*i)++;
        count++;
    }
    if (count < most && *i < n && is_high(s[*i])) {
        Py_ssize_t at = *i;
        Py_UCS4 cp = next_char(s, &at);
        if (Py_UNICODE_ISDECIMAL(cp)) return UNSURE;
    }
    return count >= least ? value : -1;
}

/* The regex "(?P<month>[A-Z][a-z]+) (?P<day>\d{1,2}), (?P<year>\d{4})" at s[0..]: 1 and
 * the position after it if it matches (`month` 0 when the word is no month's name), 0 if
 * not, -1 if unsure. */
static int long_date(const char *s, Py_ssize_t n, int *y, int *m, int *d, Py_ssize_t *after) {
    Py_ssize_t i = 0;
    if (n < 1 || !is_upper(s[0])) return 0;
    i = 1;
    while (i < n && is_lower(s[i])) i++;
    if (i < 2) return 0;
    Py_ssize_t word = i;
    if (i >= n || s[i] != ' ') return 0;
    i++;
    *d = digits(s, n, &i, 1, 2);
    if (*d == UNSURE) return -1;
    if (*d < 0 || i + 1 >= n || s[i] != ',' || s[i + 1] != ' ') return 0;
    i += 2;
    *y = digits(s, n, &i, 4, 4);
    if (*y == UNSURE) return -1;
    if (*y < 0) return 0;
    *m = 0;
    for (int k = 0; k < 12; k++) {
        if ((Py_ssize_t)strlen(MONTHS[k]) == word && memcmp(MONTHS[k], s, word) == 0) {
            *m = k + 1;
            break;
        }
    }
    *after = i;
    return 1;
}

/* `_related_date`: 1 for a long-form date line (its date in y/m/d), 0 for any other text,
 * -1 where the Python parser rejects the page (no such month, no such day) or unsure. */
static int related_date(const char *s, Py_ssize_t n, int *y, int *m, int *d) {
    Py_ssize_t after;
    int found = long_date(s, n, y, m, d, &after);
    if (found <= 0) return found;
    if (after != n) return 0;
    return (*m && valid_date(*y, *m, *d)) ? 1 : -1;
}

/* `_CAPTURE` on the first line: 1 with the capture date, 0 for no capture line, -1 where
 * the Python parser rejects the page. */
static int capture_date(const char *s, Py_ssize_t n, int *y, int *m, int *d) {
    Py_ssize_t i;
    int found = long_date(s, n, y, m, d, &i);
    if (found <= 0) return found;
    while (i < n && is_space(s[i])) i++;
    if (i < n) { /* "[A-Z][a-z]{2}\.? \d{1,2}, \d{4}" and the end */
        if (i + 3 > n || !is_upper(s[i]) || !is_lower(s[i + 1]) || !is_lower(s[i + 2])) return 0;
        i += 3;
        if (i < n && s[i] == '.') i++;
        if (i >= n || s[i] != ' ') return 0;
        i++;
        int day = digits(s, n, &i, 1, 2);
        if (day == UNSURE) return -1;
        if (day < 0 || i + 1 >= n || s[i] != ',' || s[i + 1] != ' ') return 0;
        i += 2;
        int year = digits(s, n, &i, 4, 4);
        if (year == UNSURE) return -1;
        if (year < 0 || i != n) return 0;
    }
    return (*m && valid_date(*y, *m, *d)) ? 1 : -1;
}

/* `_DAY_FIRST` on the stripped Date: field; 1 with a valid date, else 0 (a reject). */
static int day_first(const char *s, Py_ssize_t n, int *y, int *m, int *d) {
    while (n > 0 && is_space(s[0])) s++, n--;
    while (n > 0 && is_space(s[n - 1])) n--;
    Py_ssize_t i = 0;
    *d = digits(s, n, &i, 1, 2);
    if (*d < 0 || i >= n || s[i++] != '/') return 0;
    *m = digits(s, n, &i, 1, 2);
    if (*m < 0 || i >= n || s[i++] != '/') return 0;
    *y = digits(s, n, &i, 4, 4);
    return *y >= 0 && i == n && valid_date(*y, *m, *d);
}

/* The Date: line (`_DATE_LINE`): the first line that is, after horizontal white space,
 * "Date:" DATE "|" white space "Source:" SOURCE, SOURCE running to the next "|" or the
 * line's end. 1 if found, with the line's span and the two fields' spans. */
static int date_line(const char *t, Py_ssize_t n, Py_ssize_t span[6]) {
    Py_ssize_t a = 0;
    while (a <= n) {
        Py_ssize_t b = line_end(t, a, n);
        Py_ssize_t p = a;
        while (p < b && is_hspace(t[p])) p++;
        if (b - p >= 5 && memcmp(t + p, "Date:", 5) == 0) {
            Py_ssize_t bar = p + 5;
            while (bar < b && t[bar] != '|') bar++;
            Py_ssize_t r = bar + 1;
            while (r < b && is_hspace(t[r])) r++;
            if (bar < b && b - r >= 7 && memcmp(t + r, "Source:", 7) == 0) {
                Py_ssize_t s = r + 7, e = s;
                while (e < b && t[e] != '|') e++;
                span[0] = a, span[1] = b, span[2] = p + 5, span[3] = bar, span[4] = s, span[5] = e;
                return 1;
            }
        }
        if (b >= n) break;
        a = b + 1;
    }
    return 0;
}

/* The Latin stop words (ASCII, lower case, 1-4 letters) with the languages each counts
 * for: bit k for LATIN_CODES[k]. */
#define MAX_STOPWORDS 128
#define MAX_LATIN 8
static struct {
    char word[5];
    Py_ssize_t len;
    int langs;
} STOPWORDS[MAX_STOPWORDS];
static size_t STOPWORD_COUNT = 0;
static char LATIN_CODES[MAX_LATIN][4];
static int LATIN_COUNT = 0;

/* A bit for each (length, first letter) some stop word has, so that most words are
 * known not to be one without a look at the list. */
static unsigned int STOPWORD_STARTS[5];

static int stopword_langs(const char *w, Py_ssize_t n) {
    char low[4];
    if (n == 0 || n > 4) return 0;
    for (Py_ssize_t i = 0; i < n; i++) low[i] = to_lower(w[i]);
    if (!is_lower(low[0]) || !(STOPWORD_STARTS[n] & (1u << (low[0] - 'a')))) return 0;
    for (size_t k = 0; k < STOPWORD_COUNT; k++) {
        if (STOPWORDS[k].len == n && STOPWORDS[k].word[0] == low[0] &&
            memcmp(STOPWORDS[k].word, low, n) == 0)
            return STOPWORDS[k].langs;
    }
    return 0;
}

/* The languages a word of the sample counts for: a word with non-ASCII characters is
 * case-folded by Python, as `latin_words` does (casefold never shortens a word, so only
 * words of four characters at most can be stop words). -1 on error. */
static int word_langs(const char *w, Py_ssize_t n) {
    if (!has_high(w, n)) return stopword_langs(w, n);
    if (chars(w, n) > 4) return 0;
    PyObject *word = PyUnicode_DecodeUTF8(w, n, NULL);
    if (word == NULL) return -1;
    PyObject *folded = PyObject_CallMethod(word, "casefold", NULL);
    Py_DECREF(word);
    if (folded == NULL) return -1;
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(folded, &size);
    int langs = utf8 == NULL ? -1 : stopword_langs(utf8, size);
    Py_DECREF(folded);
    return langs;
}

/* The scripts, in the rule's order: each a code, code-point ranges and the share of a
 * sample's letters above which it decides. */
#define MAX_SCRIPTS 8
#define MAX_RANGES 8
static struct {
    char code[4];
    Py_UCS4 ranges[MAX_RANGES][2];
    int range_count;
    double share;
} SCRIPTS[MAX_SCRIPTS];
static int SCRIPT_COUNT = 0;

static int script_of(Py_UCS4 c) {
    for (int k = 0; k < SCRIPT_COUNT; k++)
        for (int r = 0; r < SCRIPTS[k].range_count; r++)
            if (c >= SCRIPTS[k].ranges[r][0] && c <= SCRIPTS[k].ranges[r][1]) return k;
    return -1;
}

/* `language.language_of` of a text in UTF-8 with only ASCII white space (`ascii`: all of
 * it ASCII): the language's code, or NULL on error. */
static const char *language_of(const char *s, Py_ssize_t n, int ascii) {
    if (!ascii) { /* ASCII text has no other script to look for */
        Py_ssize_t sample = char_offset(s, n, SAMPLE);
        if (has_high(s, sample)) {
            Py_ssize_t letters = 0, found[MAX_SCRIPTS] = {0};
            for (Py_ssize_t i = 0; i < sample;) {
                Py_UCS4 c = next_char(s, &i);
                letters += Py_UNICODE_ISALPHA(c) ? 1 : 0;
                int k = script_of(c);
                if (k >= 0) found[k]++;
            }
            if (letters == 0) letters = 1;
            for (int k = 0; k < SCRIPT_COUNT; k++)
                if ((double)found[k] / (double)letters > SCRIPTS[k].share) return SCRIPTS[k].code;
        }
    }
    int scores[MAX_LATIN] = {0};
    Py_ssize_t latin = ascii ? (n < LATIN_SAMPLE ? n : LATIN_SAMPLE) : char_offset(s, n, LATIN_SAMPLE);
    Py_ssize_t i = 0, start;
    while (next_word(s, latin, &i, &start)) { /* a word cut at the sample's end counts so */
        int langs = word_langs(s + start, i - start);
        if (langs < 0) return NULL;
        for (int k = 0; k < LATIN_COUNT; k++) scores[k] += (langs >> k) & 1;
    }
    int best = 0; /* max() keeps the first best; the first language (the default) wins ties */
    for (int k = 1; k < LATIN_COUNT; k++)
        if (scores[k] > scores[best]) best = k;
    return scores[best] ? LATIN_CODES[best] : LATIN_CODES[0];
}

/* configure_language(sample, latin_sample, scripts, latin_codes, stopwords): the rule's
 * data, from `packager.contract.language`. A ValueError where it does not fit what this
 * file assumes (then the caller does without it). */
static int copy_code(char to[4], PyObject *code) {
    Py_ssize_t size;
    const char *text = PyUnicode_Check(code) ? PyUnicode_AsUTF8AndSize(code, &size) : NULL;
    if (text == NULL || size < 1 || size > 3) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "a language code is 1-3 characters");
        return -1;
    }
    memcpy(to, text, (size_t)size + 1);
    return 0;
}

static PyObject *configure_language(PyObject *module, PyObject *args) {
    (void)module;
    Py_ssize_t sample, latin_sample;
    PyObject *scripts, *codes, *words;
    if (!PyArg_ParseTuple(args, "nnO!O!O!", &sample, &latin_sample, &PyTuple_Type, &scripts,
                          &PyTuple_Type, &codes, &PyTuple_Type, &words))
        return NULL;
    LANGUAGE_READY = 0;
    if (sample < 1 || latin_sample < 1 || PyTuple_GET_SIZE(scripts) > MAX_SCRIPTS ||
        PyTuple_GET_SIZE(codes) < 1 || PyTuple_GET_SIZE(codes) > MAX_LATIN ||
        PyTuple_GET_SIZE(words) > MAX_STOPWORDS) {
        PyErr_SetString(PyExc_ValueError, "the language data is larger than the compiled tables");
        return NULL;
    }
    SCRIPT_COUNT = 0;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(scripts); k++) {
        PyObject *code, *ranges;
        double share;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(scripts, k), "UO!d", &code, &PyTuple_Type, &ranges,
                              &share))
            return NULL;
        if (copy_code(SCRIPTS[k].code, code) < 0) return NULL;
        if (PyTuple_GET_SIZE(ranges) > MAX_RANGES) {
            PyErr_SetString(PyExc_ValueError, "a script has more ranges than the compiled table");
            return NULL;
        }
        for (Py_ssize_t r = 0; r < PyTuple_GET_SIZE(ranges); r++) {
            unsigned int low, high;
            if (!PyArg_ParseTuple(PyTuple_GET_ITEM(ranges, r), "II", &low, &high)) return NULL;
            SCRIPTS[k].ranges[r][0] = low, SCRIPTS[k].ranges[r][1] = high;
        }
        SCRIPTS[k].range_count = (int)PyTuple_GET_SIZE(ranges);
        SCRIPTS[k].share = share;
    }
    SCRIPT_COUNT = (int)PyTuple_GET_SIZE(scripts);
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(codes); k++)
        if (copy_code(LATIN_CODES[k], PyTuple_GET_ITEM(codes, k)) < 0) return NULL;
    LATIN_COUNT = (int)PyTuple_GET_SIZE(codes);
    memset(STOPWORD_STARTS, 0, sizeof STOPWORD_STARTS);
    STOPWORD_COUNT = 0;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(words); k++) {
        const char *word;
        Py_ssize_t len;
        int langs;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(words, k), "s#i", &word, &len, &langs)) return NULL;
        int lower = len >= 1 && len <= 4;
        for (Py_ssize_t i = 0; lower && i < len; i++) lower = is_lower(word[i]);
        if (!lower || langs < 0 || langs >= (1 << LATIN_COUNT)) {
            PyErr_SetString(PyExc_ValueError, "a stop word is not 1-4 ASCII lower-case letters");
            return NULL;
        }
        memcpy(STOPWORDS[k].word, word, (size_t)len + 1);
        STOPWORDS[k].len = len, STOPWORDS[k].langs = langs;
        STOPWORD_STARTS[len] |= 1u << (word[0] - 'a');
    }
    STOPWORD_COUNT = (size_t)PyTuple_GET_SIZE(words);
    SAMPLE = sample, LATIN_SAMPLE = latin_sample;
    LANGUAGE_READY = 1;
    Py_RETURN_NONE;
}

/* Eight bytes of ASCII at a time (little-endian: a byte's predecessor is the byte below
 * it): bit 7 of each byte set where the byte is at least `low`. No carry crosses a byte,
 * as no byte is over 0x7f. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline uint64_t at_least(uint64_t x, unsigned low) { return (x + ONES * (0x80 - low)) & HIGHS; }
static inline uint64_t within(uint64_t x, unsigned low, unsigned above) {
    return at_least(x, low) & ~at_least(x, above);
}

/* The words that start in eight bytes whose white space is `space` (bit 7 of each byte
 * set), given whether the byte before them was white space (bit 63 of `*before`, made
 * that of their last byte). */
static inline long starts_in(uint64_t space, uint64_t *before) {
    uint64_t starts = ~space & HIGHS & ((space << 8) | (*before >> 56));
    *before = space;
    return (long)(((starts >> 7) * ONES) >> 56); /* the bytes' bits summed in the top byte */
}

/* `starts_in` the eight bytes `x` with the page reader's white space; adds their
 * \x1c-\x1f to `*separators`. */
static inline long word_starts(uint64_t x, uint64_t *before, uint64_t *separators) {
    *separators |= within(x, 0x1c, 0x20);
    return starts_in(within(x, '\t', '\r' + 1) | within(x, ' ', ' ' + 1), before);
}

/* len(text.split()) of ASCII text: a word starts at each byte that is not white space
 * (" \t\n\v\f\r") after one that is (or at the start). -1 where the text has \x1c-\x1f,
 * white space to str.split but not to the page reader. */
static long ascii_words(const char *s, Py_ssize_t n) {
    long words = 0;
#if !PY_LITTLE_ENDIAN
    int after_space = 1, separators = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int space = SPACE[(unsigned char)s[i]];
        words += after_space & (space ^ 1);
        after_space = space;
        separators |= FILE_SEPARATORS[(unsigned char)s[i]];
    }
#else
    uint64_t before = 1ULL << 63, separators = 0; /* the byte before the start: white space */
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        words += word_starts(x, &before, &separators);
    }
    if (i < n) {
        uint64_t x = 0x2020202020202020ULL; /* the last bytes, padded with spaces */
        memcpy(&x, s + i, (size_t)(n - i));
        words += word_starts(x, &before, &separators);
    }
#endif
    return separators ? -1 : words;
}

/* `packager.contract.rules.word_count_and_language(body)`: (words, language), or None
 * where the text has white space the loops above do not know as Python does (a
 * non-ASCII space, \x1c-\x1f) or cannot be had in UTF-8. */
static PyObject *word_count_and_language_of(PyObject *module, PyObject *body) {
    (void)module;
    if (!PyUnicode_Check(body)) {
        PyErr_SetString(PyExc_TypeError, "word_count_and_language(body: str)");
        return NULL;
    }
    if (!LANGUAGE_READY) Py_RETURN_NONE; /* no rule data given: Python's to count */
    Py_ssize_t n;
    if (PyUnicode_IS_ASCII(body)) { /* most bodies: a byte a character, eight at a time */
        const char *s = PyUnicode_AsUTF8AndSize(body, &n); /* the str's own bytes, no copy */
        if (s == NULL) return NULL;
        long words = ascii_words(s, n);
        if (words < 0) Py_RETURN_NONE;
        const char *language = language_of(s, n, 1);
        if (language == NULL) return NULL;
        return Py_BuildValue("(ls)", words, language);
    }
    /* Other bodies: the words counted in the str itself, as str.split() splits; the
     * language from the sample alone (what it looks at), in UTF-8. No UTF-8 copy of the
     * whole body: it may be hundreds of megabytes. */
    int kind = PyUnicode_KIND(body);
    const void *data = PyUnicode_DATA(body);
    Py_ssize_t length = PyUnicode_GET_LENGTH(body);
    long words = 0;
    int in_word = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        int space = Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i));
        words += !space && !in_word;
        in_word = !space;
    }
    PyObject *sample = PyUnicode_Substring(body, 0, SAMPLE > LATIN_SAMPLE ? SAMPLE : LATIN_SAMPLE);
    if (sample == NULL) return NULL;
    PyObject *result = NULL;
    const char *s = PyUnicode_AsUTF8AndSize(sample, &n);
    if (s == NULL) { /* a lone surrogate: Python's to count */
        if (PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
            PyErr_Clear();
            result = Py_NewRef(Py_None);
        }
        goto done;
    }
    for (Py_ssize_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (FILE_SEPARATORS[c]) goto python;
            i++;
        } else {
            Py_UCS4 cp = next_char(s, &i); /* once: the macro reads its argument twice */
            if (Py_UNICODE_ISSPACE(cp)) goto python;
        }
    }
    const char *language = language_of(s, n, 0);
    if (language != NULL) result = Py_BuildValue("(ls)", words, language);
    goto done;
python: /* white space the sample's loops do not know as Python does */
    result = Py_NewRef(Py_None);
done:
    Py_DECREF(sample);
    return result;
}

static PyObject *text(const char *s, Py_ssize_t n) { return PyUnicode_DecodeUTF8(s, n, NULL); }

static PyObject *block(const Blocks *b, Py_ssize_t k) { return text(block_text(b, k), b->items[k].len); }

static PyObject *date_or_none(int y, int m, int d) {
    if (y == 0) Py_RETURN_NONE;
    return PyDate_FromDate(y, m, d);
}

/* Set `key` of `dict` to `value`, which it steals; -1 on error (a NULL value included). */
static int put(PyObject *dict, const char *key, PyObject *value) {
    if (value == NULL) return -1;
    int failed = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return failed ? -1 : 0;
}

/* Append `value` (stolen) to the list `to`; -1 on error (a NULL value included). */
static int append(PyObject *to, PyObject *value) {
    if (value == NULL) return -1;
    int failed = PyList_Append(to, value);
    Py_DECREF(value);
    return failed ? -1 : 0;
}

/* The related items of blocks [start, end) (`pages._related_items`), each appended to the
 * lists of titles (as shown), teasers and dates; 1 on success, 0 where the Python reader
 * rejects the page, -1 on error. */
static int related_items(const Blocks *rest, Py_ssize_t start, Py_ssize_t end, PyObject *titles,
                         PyObject *teasers, PyObject *dates) {
    Buf title = {0}, other = {0};
    int status = -1;
    Py_ssize_t i = start;
    while (i < end) {
        Py_ssize_t shown = i;
        const char *shown_text = block_text(rest, i);
        Py_ssize_t shown_len = rest->items[i].len;
        i++;
        if (i < end) {
            const char *next = block_text(rest, i);
            Py_ssize_t next_len = rest->items[i].len;
            int same = next_len == shown_len && memcmp(next, shown_text, shown_len) == 0;
            if (!same) {
                title.len = other.len = 0;
                if (collapse(shown_text, shown_len, &title) < 0 ||
                    collapse(next, next_len, &other) < 0)
                    goto done;
                same = other.len == title.len && memcmp(other.p, title.p, title.len) == 0;
            }
            if (same) i++;
        }
        Py_ssize_t teaser = -1; /* block index */
        int y = 0, m = 0, d = 0, found = 0;
        if (i < end) {
            found = related_date(block_text(rest, i), rest->items[i].len, &y, &m, &d);
            if (found < 0) { status = 0; goto done; }
            if (!found) {
                teaser = i++;
                if (i < end) {
                    found = related_date(block_text(rest, i), rest->items[i].len, &y, &m, &d);
                    if (found < 0) { status = 0; goto done; }
                }
            }
            if (found) i++;
        }
        if (teaser >= 0 && i < end && rest->items[i].len == rest->items[teaser].len &&
            memcmp(block_text(rest, i), block_text(rest, teaser), rest->items[i].len) == 0)
            i++;
        if (append(titles, block(rest, shown)) < 0 ||
            append(teasers, teaser >= 0 ? block(rest, teaser) : Py_NewRef(Py_None)) < 0 ||
            append(dates, found ? PyDate_FromDate(y, m, d) : Py_NewRef(Py_None)) < 0)
            goto done;
    }
    status = 1;
done:
    PyMem_Free(title.p);
    PyMem_Free(other.p);
    return status;
}

/* The widest character a UTF-8 sequence's first byte `c` can start: a bound that picks
 * the same kind of str as the exact widest character would. */
static Py_UCS4 widest_from(unsigned char c) { return c >= 0xF0 ? 0x10FFFF : c >= 0xC4 ? 0xFFFF : 0xFF; }

/* The texts of blocks [0, end) joined by a blank line, as `"\n\n".join(paragraphs)`: one
 * str made in place (its length and kind counted first), with no str a paragraph and no
 * UTF-8 copy beside it: a body may be hundreds of megabytes. The texts are valid UTF-8. */
static PyObject *joined(const Blocks *b, Py_ssize_t end) {
    Py_ssize_t length = end > 0 ? 2 * (end - 1) : 0;
    Py_UCS4 widest = 127;
    for (Py_ssize_t k = 0; k < end; k++) {
        const char *t = block_text(b, k);
        Py_ssize_t n = b->items[k].len;
        if (!has_high(t, n)) {
            length += n;
            continue;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)t[i];
            length += (c & 0xC0) != 0x80;
            if (c >= 0xC0 && widest_from(c) > widest) widest = widest_from(c);
        }
    }
    PyObject *text = PyUnicode_New(length, widest);
    if (text == NULL) return NULL;
    int kind = PyUnicode_KIND(text);
    void *data = PyUnicode_DATA(text);
    Py_ssize_t at = 0;
    for (Py_ssize_t k = 0; k < end; k++) {
        const char *t = block_text(b, k);
        Py_ssize_t n = b->items[k].len;
        if (k > 0) {
            PyUnicode_WRITE(kind, data, at, '\n');
            PyUnicode_WRITE(kind, data, at + 1, '\n');
            at += 2;
        }
        if (widest == 127) {
            memcpy((char *)data + at, t, n);
            at += n;
        } else {
            for (Py_ssize_t i = 0; i < n;) {
                Py_UCS4 c = next_char(t, &i);
                PyUnicode_WRITE(kind, data, at, c);
                at++;
            }
        }
    }
    assert(at == length);
    return text;
}

/* The page's pieces: {"given": {source, title, date_published, date_captured, body (a
 * str: its paragraphs joined by a blank line)}, "related": {title, teaser,
 * date_published: a list each, an item a place}}, None for Python to read, NULL on
 * error. */
static PyObject *parse(const char *t, Py_ssize_t n) {
    PyObject *result = NULL, *given = NULL;
    PyObject *titles = NULL, *teasers = NULL, *dates = NULL;
    Blocks head = {0}, rest = {0};
    Py_ssize_t span[6];
    int py, pm, pd, cy = 0, cm = 0, cd = 0;

    if (!date_line(t, n, span)) goto fallback;
    if (!day_first(t + span[2], span[3] - span[2], &py, &pm, &pd)) goto fallback;

    if (find_blocks(t, 0, span[0], &head) < 0) goto error;
    Py_ssize_t skip = 0;
    if (head.count) {
        const Block *first = &head.items[0];
        int captured = capture_date(t + first->first_off, first->first_len, &cy, &cm, &cd);
        if (captured < 0) goto fallback;
        if (captured == 0) cy = cm = cd = 0; /* a failed match may have set some */
        skip = captured;
    }
    if (head.count <= skip) goto fallback;

    if (find_blocks(t, span[1], n, &rest) < 0) goto error;
    Py_ssize_t end = rest.count, body_end = -1, related_start = -1;
    for (Py_ssize_t k = 0; k < rest.count; k++) {
        const char *s = block_text(&rest, k);
        Py_ssize_t len = rest.items[k].len;
        if (len == 13 && memcmp(s, "More Articles", 13) == 0) {
            end = k;
            break;
        }
        if (related_start < 0 && rest.items[k].lines == 1 && len > 10 &&
            memcmp(s, "More From", 9) == 0 && is_space(s[9])) {
            body_end = k;
            related_start = k + 1;
        }
    }
    if (related_start < 0) body_end = related_start = end;

    titles = PyList_New(0);
    teasers = PyList_New(0);
    dates = PyList_New(0);
    if (titles == NULL || teasers == NULL || dates == NULL) goto error;
    int related = related_items(&rest, related_start, end, titles, teasers, dates);
    if (related < 0) goto error;
    if (related == 0) goto fallback;

    given = PyDict_New();
    if (given == NULL) goto error;
    if (put(given, "source", text(t + span[4], span[5] - span[4])) < 0 ||
        put(given, "title", block(&head, head.count - 1)) < 0 ||
        put(given, "date_published", PyDate_FromDate(py, pm, pd)) < 0 ||
        put(given, "date_captured", date_or_none(cy, cm, cd)) < 0 ||
        put(given, "body", joined(&rest, body_end)) < 0)
        goto error;
    result = Py_BuildValue("{sOs{sOsOsO}}", "given", given, "related", "title", titles, "teaser",
                           teasers, "date_published", dates);
    goto done;

fallback:
    result = Py_NewRef(Py_None);
    goto done;
error:
    result = NULL;
done:
    Py_XDECREF(given);
    Py_XDECREF(titles);
    Py_XDECREF(teasers);
    Py_XDECREF(dates);
    blocks_free(&head);
    blocks_free(&rest);
    return result;
}

/* Whether the page is the compiled reader's: 0 unless its bytes are valid UTF-8 (as Python's
 * strict decoder takes it) with no control byte (what `decode` rejects) and no white
 * space but ASCII's; else 1, plus 2 if it has a carriage return. A table and no branch a
 * byte for ASCII, most pages' every byte. */
static unsigned char BYTE_CLASS[256]; /* 1: a control byte, 2: "\r", 4: not ASCII */

static void init_tables(void) {
    for (const char *c = " \t\n\v\f\r"; *c; c++) SPACE[(unsigned char)*c] = PY_SPACE[(unsigned char)*c] = 1;
    for (int c = 0x1c; c <= 0x1f; c++) PY_SPACE[c] = 1;
    PY_SPACE[0xC2] = PY_SPACE[0xE1] = PY_SPACE[0xE2] = PY_SPACE[0xE3] = 2; /* perhaps a space */
    for (int c = 0x1c; c <= 0x1f; c++) FILE_SEPARATORS[c] = 1;
}

static void init_byte_class(void) {
    for (int c = 0; c < 256; c++)
        BYTE_CLASS[c] = c >= 0x80 ? 4 : (c == 0x7f || (c < 0x20 && (c < 0x09 || c > 0x0d)));
    BYTE_CLASS['\r'] = 2;
}

static int valid_utf8(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int len;
        Py_UCS4 cp;
        if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
        else return 0;
        if (n - i < len) return 0;
        for (int k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || Py_UNICODE_ISSPACE(cp))
            return 0;
        i += len;
    }
    return 1;
}

static int page_kind(const unsigned char *s, Py_ssize_t n) {
    unsigned char seen = 0;
    for (Py_ssize_t i = 0; i < n; i++) seen |= BYTE_CLASS[s[i]];
    if ((seen & 1) || ((seen & 4) && !valid_utf8(s, n))) return 0;
    return 1 + (seen & 2);
}

static PyObject *read_page(PyObject *module, PyObject *data) {
    (void)module;
    if (!PyBytes_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "read_page(data: bytes)");
        return NULL;
    }
    const char *raw = PyBytes_AS_STRING(data);
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    if (n >= 3 && memcmp(raw, "\xef\xbb\xbf", 3) == 0) raw += 3, n -= 3;
    int kind = page_kind((const unsigned char *)raw, n);
    if (kind == 0) Py_RETURN_NONE;
    if (kind == 1) return parse(raw, n);
    char *t = PyMem_Malloc(n ? n : 1); /* "\r\n" and "\r" to "\n" */
    if (t == NULL) return PyErr_NoMemory();
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (raw[i] == '\r') {
            t[m++] = '\n';
            if (i + 1 < n && raw[i + 1] == '\n') i++;
        } else {
            t[m++] = raw[i];
        }
    }
    PyObject *result = parse(t, m);
    PyMem_Free(t);
    return result;
}

/* White space as Python's str.split() knows it, in UTF-8: a byte of ASCII's (" \t\n\v\f\r"
 * and \x1c-\x1f), or one of the 20 other characters Python counts (U+0085, U+00A0,
 * U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). The length of the one
 * that starts at s (at most `left` bytes), 0 where none does. */
static inline int py_space(const unsigned char *s, Py_ssize_t left) {
    unsigned char c = s[0];
    if (c < 0x80) return PY_SPACE[c];  /* only the lead bytes below are 2 */
    if (c == 0xC2) return left >= 2 && (s[1] == 0x85 || s[1] == 0xA0) ? 2 : 0;
    if (left < 3) return 0;
    if (c == 0xE1) return s[1] == 0x9A && s[2] == 0x80 ? 3 : 0;
    if (c == 0xE2) {
        if (s[1] == 0x80)
            return (s[2] <= 0x8A && s[2] >= 0x80) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF
                       ? 3
                       : 0;
        return s[1] == 0x81 && s[2] == 0x9F ? 3 : 0;
    }
    if (c == 0xE3) return s[1] == 0x80 && s[2] == 0x80 ? 3 : 0;
    return 0;
}

/* len(text.split()) of UTF-8 text: a word starts at each character that is not white
 * space after one that is (or at the start). Eight bytes at a time where all eight are
 * ASCII (little-endian machines), else a character at a time, with no branch but for the
 * lead bytes of the non-ASCII spaces (PY_SPACE 2). */
static int64_t py_words(const unsigned char *s, int64_t n) {
    int64_t words = 0, i = 0;
    uint64_t before = 1ULL << 63; /* bit 63: the byte before is white space */
    while (i < n) {
#if PY_LITTLE_ENDIAN
        uint64_t x;
        if (n - i >= 8 && (memcpy(&x, s + i, 8), !(x & HIGHS))) { /* str.split's ASCII white space */
            words += starts_in(within(x, '\t', '\r' + 1) | within(x, 0x1c, ' ' + 1), &before);
            i += 8;
            continue;
        }
#endif
        int space = PY_SPACE[s[i]], length = 1;
        if (space == 2) {
            length = py_space(s + i, n - i);
            space = length > 0;
            length += !length;
        }
        words += (int64_t)(before >> 63) & (space ^ 1);
        before = (uint64_t)space << 63;
        i += length;
    }
    return words;
}

/* `word_counts(offsets, data, start, count, wide)`: len(text.split()) of each of `count`
 * strings of an Arrow string array from its row `start` (its offsets buffer, of int64
 * where `wide`, else int32, and its UTF-8 data), as `count` native int64 in bytes. The
 * validator counts a release's bodies so, without a str made for any of them. */
static PyObject *word_counts(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer offsets, data;
    Py_ssize_t start, count;
    int wide;
    if (!PyArg_ParseTuple(args, "y*y*nnp", &offsets, &data, &start, &count, &wide)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t width = wide ? 8 : 4;
    if (start < 0 || count < 0 || (start + count + 1) * width > offsets.len) {
        PyErr_SetString(PyExc_ValueError, "word_counts: the offsets are shorter than the rows");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(int64_t));
    if (result == NULL) goto done;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(result);
    const unsigned char *text = data.buf;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < count && !bad; r++) {
        int64_t a, b;
        if (wide) {
            a = ((const int64_t *)offsets.buf)[start + r];
            b = ((const int64_t *)offsets.buf)[start + r + 1];
        } else {
            a = ((const int32_t *)offsets.buf)[start + r];
            b = ((const int32_t *)offsets.buf)[start + r + 1];
        }
        if (a < 0 || b < a || b > data.len) {
            bad = 1;
            break;
        }
        out[r] = py_words(text + a, b - a);
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        Py_CLEAR(result);
        PyErr_SetString(PyExc_ValueError, "word_counts: an offset outside the data");
    }
done:
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    return result;
}


/* `packager.contract.rules.collapse` of each str of a list: white-space runs to one space,
 * stripped, as `" ".join(text.split())`. A text already so is given back itself. A new
 * list, or None where an item is not an ASCII str (Python collapses that list). White
 * space is `PY_SPACE`'s: Python's str.split in ASCII, \x1c-\x1f too. */
static PyObject *collapse_all(PyObject *module, PyObject *texts) {
    (void)module;
    if (!PyList_CheckExact(texts)) {
        PyErr_SetString(PyExc_TypeError, "collapse_all(texts: list)");
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(texts);
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *text = PyList_GET_ITEM(texts, k);
        if (!PyUnicode_CheckExact(text) || !PyUnicode_IS_ASCII(text)) Py_RETURN_NONE;
    }
    PyObject *out = PyList_New(count);
    if (out == NULL) return NULL;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *text = PyList_GET_ITEM(texts, k);
        const char *s = (const char *)PyUnicode_DATA(text);
        Py_ssize_t n = PyUnicode_GET_LENGTH(text), kept = 0;
        int clean = n == 0 || (!PY_SPACE[(unsigned char)s[0]] && !PY_SPACE[(unsigned char)s[n - 1]]);
        for (Py_ssize_t i = 0; i < n && clean; i++) /* a space alone between words, no other */
            if (PY_SPACE[(unsigned char)s[i]] && (s[i] != ' ' || s[i + 1] == ' ')) clean = 0;
        if (clean) {
            PyList_SET_ITEM(out, k, Py_NewRef(text));
            continue;
        }
        for (Py_ssize_t i = 0, start; next_word_by(PY_SPACE, s, n, &i, &start);)
            kept += (kept ? 1 : 0) + (i - start);
        PyObject *made = PyUnicode_New(kept, 127);
        if (made == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        char *to = (char *)PyUnicode_DATA(made);
        Py_ssize_t at = 0;
        for (Py_ssize_t i = 0, start; next_word_by(PY_SPACE, s, n, &i, &start);) {
            if (at) to[at++] = ' ';
            memcpy(to + at, s + start, (size_t)(i - start));
            at += i - start;
        }
        PyList_SET_ITEM(out, k, made);
    }
    return out;
}

static PyMethodDef methods[] = {
    {"read_page", (PyCFunction)read_page, METH_O,
     "read_page(data) -> {'given': {...}, 'related': [...]} or None: a clean page dump's "
     "pieces, or None for the Python reader (packager.inputs.pages.read_pieces)."},
    {"word_count_and_language", (PyCFunction)word_count_and_language_of, METH_O,
     "word_count_and_language(body) -> (words, language) or None: "
     "packager.contract.rules.word_count_and_language in C, or None for Python to count."},
    {"configure_language", (PyCFunction)configure_language, METH_VARARGS,
     "configure_language(sample, latin_sample, scripts, latin_codes, stopwords): the "
     "language rule's data, from packager.contract.language (until then, "
     "word_count_and_language gives None)."},
    {"collapse_all", (PyCFunction)collapse_all, METH_O,
     "collapse_all(texts) -> list or None: packager.contract.rules.collapse of each str, "
     "or None where one is not an ASCII str (Python collapses them)."},
    {"word_counts", (PyCFunction)word_counts, METH_VARARGS,
     "word_counts(offsets, data, start, count, wide) -> bytes: len(s.split()) of each string "
     "of an Arrow string array, as native int64."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastpage", "The page reader's compiled path for clean pages.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastpage(void) {
    init_byte_class();
    init_tables();
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    return PyModule_Create(&module);
}
