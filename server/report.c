/* The outputs of `margin check` (see report.h).
 *
 * text, json and github print each file as it arrives, so memory holds only
 * what waits to be printed; sarif, markdown and the statistics need the
 * whole run and keep what they need until rep_finish(). */
#include "report.h"
#include "mg.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SARIF_SCHEMA                                                                               \
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#define CWE_URI "https://cwe.mitre.org/data/definitions/"

#ifndef MG_DOCS_URL
#error "meson defines MG_DOCS_URL"
#endif

int rep_format_parse(const char *name)
{
    static const char *const names[] = {"text", "json", "sarif", "github", "markdown"};
    for (size_t i = 0; i < MG_ARRAY_LEN(names); i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

/* ---- files and findings ------------------------------------------------ */

struct rep_file *rep_file_new(const char *path)
{
    struct rep_file *f = xcalloc(1, sizeof(*f));
    f->path = xstrdup(path);
    return f;
}

struct rep_finding *rep_file_add(struct rep_file *f, const char *code, enum an_severity sev,
                                 uint32_t line, uint32_t col, uint32_t end_line, uint32_t end_col,
                                 const char *message)
{
    MG_GROW(f->items, f->cap, f->n + 1);
    struct rep_finding *d = &f->items[f->n++];
    memset(d, 0, sizeof(*d));
    snprintf(d->code, sizeof(d->code), "%s", code);
    d->severity = sev;
    d->line = line;
    d->col = col;
    d->end_line = end_line;
    d->end_col = end_col;
    d->message = xstrdup(message ? message : "");
    return d;
}

struct rep_fix *rep_finding_add_fix(struct rep_finding *d, const char *title, bool safe)
{
    d->fixes = xrealloc(d->fixes, (d->n_fixes + 1) * sizeof(*d->fixes));
    struct rep_fix *x = &d->fixes[d->n_fixes++];
    memset(x, 0, sizeof(*x));
    x->title = xstrdup(title ? title : "");
    x->safe = safe;
    return x;
}

void rep_fix_add_edit(struct rep_fix *x, uint32_t line, uint32_t col, uint32_t end_line,
                      uint32_t end_col, const char *text)
{
    x->edits = xrealloc(x->edits, (x->n_edits + 1) * sizeof(*x->edits));
    x->edits[x->n_edits++] =
        (struct rep_edit){line, col, end_line, end_col, xstrdup(text ? text : "")};
}

void rep_file_free(struct rep_file *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++) {
        struct rep_finding *d = &f->items[i];
        for (size_t j = 0; j < d->n_fixes; j++) {
            for (size_t k = 0; k < d->fixes[j].n_edits; k++)
                free(d->fixes[j].edits[k].text);
            free(d->fixes[j].edits);
            free(d->fixes[j].title);
        }
        free(d->fixes);
        free(d->message);
    }
    free(f->items);
    free(f->path);
    free(f);
}

/* ---- helpers ----------------------------------------------------------- */

/* A JSON string of `s`; bytes that are not UTF-8 (a path can hold anything)
 * become U+FFFD, since jansson refuses invalid UTF-8. */
static json_t *jstr(const char *s)
{
    size_t len = strlen(s);
    const unsigned char *u = (const unsigned char *)s;
    if (mg_utf8_valid_prefix((const char *)u, len) == len)
        return json_stringn(s, len);
    struct mg_buf b = {0};
    size_t i = 0;
    while (i < len) {
        size_t ok = mg_utf8_valid_prefix((const char *)u + i, len - i);
        mg_buf_add(&b, s + i, ok);
        i += ok;
        if (i < len) {
            mg_buf_adds(&b, "\xEF\xBF\xBD");
            i++;
        }
    }
    json_t *j = json_stringn(b.data ? b.data : "", b.len);
    mg_buf_release(&b);
    return j;
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* Write `s` with each CR or LF as a space: one finding, one line. */
static void put_one_line(FILE *out, const char *s)
{
    for (; *s != '\0'; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
}

static bool has_safe_fix(const struct rep_finding *d)
{
    for (size_t i = 0; i < d->n_fixes; i++)
        if (d->fixes[i].safe)
            return true;
    return false;
}

/* ---- concerns ----------------------------------------------------------- */

/* Longest prefix wins. The order of `concerns` is the report's order. */
static const char *const concerns[] = {"Syntax",     "Security", "Exceptions", "Docstrings",
                                       "Type hints", "Imports",  "Other"};
enum { C_SYNTAX, C_SECURITY, C_EXCEPTIONS, C_DOCSTRINGS, C_TYPES, C_IMPORTS, C_OTHER, C_N };

static const struct {
    const char *prefix;
    int concern;
} concern_prefixes[] = {
    {"E999", C_SYNTAX},     {"S", C_SECURITY}, /* flake8-bandit */
    {"E722", C_EXCEPTIONS}, {"BLE", C_EXCEPTIONS},  {"B902", C_EXCEPTIONS}, {"B904", C_EXCEPTIONS},
    {"TRY", C_EXCEPTIONS},  {"DOC5", C_EXCEPTIONS}, /* raises */
    {"MG3", C_EXCEPTIONS},  {"D", C_DOCSTRINGS},    {"DOC", C_DOCSTRINGS},  {"ANN", C_TYPES},
    {"F401", C_IMPORTS},    {"F811", C_IMPORTS},    {"I", C_IMPORTS},
};

static int concern_of(const char *code)
{
    size_t best = 0;
    int c = C_OTHER;
    for (size_t i = 0; i < MG_ARRAY_LEN(concern_prefixes); i++) {
        size_t n = strlen(concern_prefixes[i].prefix);
        if (n > best && strncmp(code, concern_prefixes[i].prefix, n) == 0) {
            best = n;
            c = concern_prefixes[i].concern;
        }
    }
    return c;
}

const char *rep_concern(const char *code)
{
    return concerns[concern_of(code)];
}

/* ---- the writer --------------------------------------------------------- */

struct stat_row {
    char code[8];
    size_t count, fixable;
};

struct md_line {
    int concern;
    char *text; /* "- `path:12` CODE message" */
};

struct rep {
    struct rep_opts o;
    FILE *out;
    bool first; /* json: no finding printed yet */
    struct stat_row *stats;
    size_t n_stats, cap_stats;
    /* sarif */
    json_t *results;
    json_t *notifications;
    /* markdown */
    struct md_line *md;
    size_t n_md, cap_md;
    size_t md_errors;
    size_t md_files;
    size_t per_concern[C_N];
};

struct rep *rep_new(const struct rep_opts *opts, FILE *out)
{
    struct rep *r = xcalloc(1, sizeof(*r));
    r->o = *opts;
    r->out = out;
    r->first = true;
    if (r->o.statistics && r->o.fmt != REP_JSON)
        r->o.fmt = REP_TEXT;
    if (r->o.fmt == REP_JSON && !r->o.statistics)
        fputs("[", out);
    if (r->o.fmt == REP_SARIF) {
        r->results = json_array();
        r->notifications = json_array();
    }
    return r;
}

static void count_stats(struct rep *r, const struct rep_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct rep_finding *d = &f->items[i];
        struct stat_row *row = NULL;
        for (size_t k = 0; k < r->n_stats && row == NULL; k++)
            if (strcmp(r->stats[k].code, d->code) == 0)
                row = &r->stats[k];
        if (row == NULL) {
            MG_GROW(r->stats, r->cap_stats, r->n_stats + 1);
            row = &r->stats[r->n_stats++];
            memset(row, 0, sizeof(*row));
            memcpy(row->code, d->code, sizeof(row->code));
        }
        row->count++;
        row->fixable += has_safe_fix(d);
    }
}

static void add_text(struct rep *r, const struct rep_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct rep_finding *d = &f->items[i];
        fprintf(r->out, "%s:%u:%u: %s ", f->path, d->line, d->col, d->code);
        put_one_line(r->out, d->message);
        fputc('\n', r->out);
    }
}

static json_t *json_fix(const struct rep_fix *x)
{
    json_t *edits = json_array();
    for (size_t i = 0; i < x->n_edits; i++) {
        const struct rep_edit *e = &x->edits[i];
        json_array_append_new(edits, json_pack("{s:I, s:I, s:I, s:I, s:o}", "line",
                                               (json_int_t)e->line, "column", (json_int_t)e->col,
                                               "end_line", (json_int_t)e->end_line, "end_column",
                                               (json_int_t)e->end_col, "content", jstr(e->text)));
    }
    return json_pack("{s:o, s:b, s:o}", "title", jstr(x->title), "safe", x->safe, "edits", edits);
}

/* One compact object per finding, "  {...}", joined by ",\n" (the shape
 * `margin check --format json` always had). */
static void add_json(struct rep *r, const struct rep_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct rep_finding *d = &f->items[i];
        json_t *o = json_object();
        json_object_set_new(o, "file", jstr(f->path));
        json_object_set_new(o, "line", json_integer(d->line));
        json_object_set_new(o, "column", json_integer(d->col));
        json_object_set_new(o, "end_line", json_integer(d->end_line));
        json_object_set_new(o, "end_column", json_integer(d->end_col));
        json_object_set_new(o, "code", jstr(d->code));
        json_object_set_new(o, "message", jstr(d->message));
        json_object_set_new(o, "severity", json_string(an_severity_name(d->severity)));
        json_object_set_new(o, "fix", d->n_fixes ? json_fix(&d->fixes[0]) : json_null());
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (s == NULL)
            continue; /* jansson out of memory: nothing sane to print */
        fputs(r->first ? "\n  " : ",\n  ", r->out);
        fputs(s, r->out);
        free(s);
        r->first = false;
    }
}

/* GitHub workflow commands: %, CR and LF are escaped in the message; in
 * property values also ':' and ','. */
static void gh_escaped(FILE *out, const char *s, bool property)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '%':
            fputs("%25", out);
            break;
        case '\r':
            fputs("%0D", out);
            break;
        case '\n':
            fputs("%0A", out);
            break;
        case ':':
            fputs(property ? "%3A" : ":", out);
            break;
        case ',':
            fputs(property ? "%2C" : ",", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

static void add_github(struct rep *r, const struct rep_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct rep_finding *d = &f->items[i];
        const char *level = d->severity == AN_ERROR     ? "error"
                            : d->severity == AN_WARNING ? "warning"
                                                        : "notice";
        const struct an_rule *rule = an_rule_find(d->code);
        fprintf(r->out, "::%s file=", level);
        gh_escaped(r->out, f->path, true);
        fprintf(r->out, ",line=%u,endLine=%u,col=%u,endColumn=%u,title=", d->line, d->end_line,
                d->col, d->end_col);
        char *title = xasprintf("margin %s%s%s%s", d->code, rule ? " (" : "",
                                rule ? rule->name : "", rule ? ")" : "");
        gh_escaped(r->out, title, true);
        free(title);
        fputs("::", r->out);
        char *msg = xasprintf("%s %s", d->code, d->message);
        gh_escaped(r->out, msg, false);
        free(msg);
        fputc('\n', r->out);
    }
}

/* Percent-encode a path for a URI reference: unreserved bytes and '/' stay. */
static char *uri_path(const char *path)
{
    struct mg_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p) != NULL)
            mg_buf_add(&b, p, 1);
        else
            mg_buf_addf(&b, "%%%02X", *p);
    }
    char *u = mg_buf_detach(&b, NULL);
    return u != NULL ? u : xstrdup("");
}

/* A SARIF artifactLocation: relative paths against %SRCROOT% (the current
 * directory), absolute ones as file:// URIs. */
static json_t *sarif_artifact(const char *path)
{
    const char *p = path;
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    char *u = uri_path(p);
    json_t *loc;
    if (p[0] == '/') {
        char *abs = xasprintf("file://%s", u);
        loc = json_pack("{s:o}", "uri", jstr(abs));
        free(abs);
    } else {
        loc = json_pack("{s:o, s:s}", "uri", jstr(u), "uriBaseId", "%SRCROOT%");
    }
    free(u);
    return loc;
}

static json_t *sarif_region(uint32_t line, uint32_t col, uint32_t end_line, uint32_t end_col)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "startLine", (json_int_t)line, "startColumn",
                     (json_int_t)col, "endLine", (json_int_t)end_line, "endColumn",
                     (json_int_t)end_col);
}

static const char *sarif_level(enum an_severity s)
{
    return s == AN_ERROR ? "error" : s == AN_WARNING ? "warning" : "note";
}

static void add_sarif(struct rep *r, const struct rep_file *f)
{
    size_t n_rules;
    const struct an_rule *rules = an_rules(&n_rules);
    for (size_t i = 0; i < f->n; i++) {
        const struct rep_finding *d = &f->items[i];
        json_t *res =
            json_pack("{s:s, s:s, s:{s:o}, s:[{s:{s:o, s:o}}]}", "ruleId", d->code, "level",
                      sarif_level(d->severity), "message", "text", jstr(d->message), "locations",
                      "physicalLocation", "artifactLocation", sarif_artifact(f->path), "region",
                      sarif_region(d->line, d->col, d->end_line, d->end_col));
        const struct an_rule *rule = an_rule_find(d->code);
        if (rule != NULL)
            json_object_set_new(res, "ruleIndex", json_integer((json_int_t)(rule - rules)));
        if (r->o.diff_base != NULL)
            json_object_set_new(res, "baselineState", json_string("new"));
        if (d->n_fixes) {
            json_t *fixes = json_array();
            for (size_t k = 0; k < d->n_fixes; k++) {
                const struct rep_fix *x = &d->fixes[k];
                json_t *repl = json_array();
                for (size_t e = 0; e < x->n_edits; e++) {
                    const struct rep_edit *ed = &x->edits[e];
                    json_array_append_new(
                        repl, json_pack("{s:o, s:{s:o}}", "deletedRegion",
                                        sarif_region(ed->line, ed->col, ed->end_line, ed->end_col),
                                        "insertedContent", "text", jstr(ed->text)));
                }
                json_array_append_new(fixes, json_pack("{s:{s:o}, s:[{s:o, s:o}], s:{s:b}}",
                                                       "description", "text", jstr(x->title),
                                                       "artifactChanges", "artifactLocation",
                                                       sarif_artifact(f->path), "replacements",
                                                       repl, "properties", "safe", x->safe));
            }
            json_object_set_new(res, "fixes", fixes);
        }
        if (res != NULL)
            json_array_append_new(r->results, res);
    }
}

static void add_markdown(struct rep *r, const struct rep_file *f)
{
    if (f->n > 0)
        r->md_files++;
    for (size_t i = 0; i < f->n; i++) {
        const struct rep_finding *d = &f->items[i];
        struct mg_buf b = {0};
        mg_buf_addf(&b, "- `%s:%u` **%s** ", f->path, d->line, d->code);
        /* One line; '<' would start HTML in GitHub's renderer. */
        for (const char *m = d->message; *m != '\0'; m++) {
            if (*m == '\n' || *m == '\r')
                mg_buf_adds(&b, " ");
            else if (*m == '<')
                mg_buf_adds(&b, "&lt;");
            else
                mg_buf_add(&b, m, 1);
        }
        if (has_safe_fix(d))
            mg_buf_adds(&b, " _(fixable)_");
        int c = concern_of(d->code);
        r->per_concern[c]++;
        MG_GROW(r->md, r->cap_md, r->n_md + 1);
        r->md[r->n_md++] = (struct md_line){c, mg_buf_detach(&b, NULL)};
    }
}

void rep_add(struct rep *r, struct rep_file *f)
{
    if (r->o.statistics) {
        count_stats(r, f);
    } else {
        switch (r->o.fmt) {
        case REP_TEXT:
            add_text(r, f);
            break;
        case REP_JSON:
            add_json(r, f);
            break;
        case REP_GITHUB:
            add_github(r, f);
            break;
        case REP_SARIF:
            add_sarif(r, f);
            break;
        case REP_MARKDOWN:
            add_markdown(r, f);
            break;
        }
    }
    rep_file_free(f);
}

void rep_add_error(struct rep *r, const char *msg)
{
    if (r->o.fmt == REP_SARIF && !r->o.statistics)
        json_array_append_new(r->notifications, json_pack("{s:s, s:{s:o}}", "level", "error",
                                                          "message", "text", jstr(msg)));
    r->md_errors++;
}

/* ---- endings ----------------------------------------------------------- */

static void print_summary(FILE *out, const struct rep_totals *t)
{
    if (t->fixed > 0)
        fprintf(out, "Fixed %zu %s in %zu %s.\n", t->fixed, plural(t->fixed, "finding", "findings"),
                t->fixed_files, plural(t->fixed_files, "file", "files"));
    if (t->findings > 0)
        fprintf(out, "Found %zu %s in %zu %s", t->findings,
                plural(t->findings, "finding", "findings"), t->with_findings,
                plural(t->with_findings, "file", "files"));
    else if (t->errors == 0)
        fprintf(out, "All checks passed");
    else
        fprintf(out, "No findings");
    fprintf(out, " (%zu %s checked", t->checked, plural(t->checked, "file", "files"));
    if (t->errors > 0)
        fprintf(out, "; %zu %s could not be checked", t->errors,
                plural(t->errors, "path", "paths"));
    fprintf(out, ").\n");
}

static int cmp_stat(const void *a, const void *b)
{
    const struct stat_row *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->code, y->code);
}

static void finish_statistics(struct rep *r, const struct rep_totals *t)
{
    if (r->n_stats > 1)
        qsort(r->stats, r->n_stats, sizeof(*r->stats), cmp_stat);
    if (r->o.fmt == REP_JSON) {
        json_t *arr = json_array();
        for (size_t i = 0; i < r->n_stats; i++) {
            const struct an_rule *rule = an_rule_find(r->stats[i].code);
            json_array_append_new(arr, json_pack("{s:s, s:s?, s:I, s:I}", "code", r->stats[i].code,
                                                 "name", rule ? rule->name : NULL, "count",
                                                 (json_int_t)r->stats[i].count, "fixable",
                                                 (json_int_t)r->stats[i].fixable));
        }
        char *s = json_dumps(arr, JSON_INDENT(2));
        json_decref(arr);
        fputs(s ? s : "[]", r->out);
        fputc('\n', r->out);
        free(s);
        return;
    }
    for (size_t i = 0; i < r->n_stats; i++) {
        const struct an_rule *rule = an_rule_find(r->stats[i].code);
        fprintf(r->out, "%6zu  %-7s %s%s\n", r->stats[i].count, r->stats[i].code,
                r->stats[i].fixable ? "[*] " : "", rule ? rule->name : "");
    }
    print_summary(r->out, t);
}

static json_t *sarif_rules(json_t **taxa_out)
{
    size_t n_rules;
    const struct an_rule *rules = an_rules(&n_rules);
    json_t *arr = json_array();
    json_t *taxa = json_array();
    for (size_t i = 0; i < n_rules; i++) {
        const struct an_rule *rule = &rules[i];
        char *help = xasprintf("%s%s.md", MG_DOCS_URL, rule->code);
        json_t *tags = json_array();
        json_array_append_new(tags, json_string(concerns[concern_of(rule->code)]));
        json_t *j =
            json_pack("{s:s, s:s, s:{s:o}, s:o, s:{s:s}}", "id", rule->code, "name", rule->name,
                      "shortDescription", "text", jstr(rule->summary), "helpUri", jstr(help),
                      "defaultConfiguration", "level", sarif_level(rule->severity));
        free(help);
        if (rule->cwe > 0) {
            char id[16];
            snprintf(id, sizeof(id), "%d", rule->cwe);
            char *tag = xasprintf("external/cwe/cwe-%d", rule->cwe);
            json_array_append_new(tags, json_string("security"));
            json_array_append_new(tags, json_string(tag));
            free(tag);
            json_object_set_new(j, "relationships",
                                json_pack("[{s:{s:s, s:{s:s, s:i}}, s:[s]}]", "target", "id", id,
                                          "toolComponent", "name", "CWE", "index", 0, "kinds",
                                          "superset"));
            bool seen = false;
            size_t k;
            json_t *t;
            json_array_foreach(taxa, k, t)
            {
                seen |= strcmp(json_string_value(json_object_get(t, "id")), id) == 0;
            }
            if (!seen) {
                char *uri = xasprintf("%s%d.html", CWE_URI, rule->cwe);
                json_array_append_new(taxa, json_pack("{s:s, s:s}", "id", id, "helpUri", uri));
                free(uri);
            }
        }
        json_object_set_new(j, "properties", json_pack("{s:o}", "tags", tags));
        json_array_append_new(arr, j);
    }
    *taxa_out = taxa;
    return arr;
}

static void finish_sarif(struct rep *r, const struct rep_totals *t)
{
    char cwd[4096];
    char *root = NULL;
    if (getcwd(cwd, sizeof(cwd)) != NULL) {
        char *u = uri_path(cwd);
        root = xasprintf("file://%s%s", u, u[0] && u[strlen(u) - 1] == '/' ? "" : "/");
        free(u);
    }
    json_t *taxa;
    json_t *rules = sarif_rules(&taxa);
    json_t *run = json_pack(
        "{s:{s:{s:s, s:s, s:o}}, s:[{s:s, s:s, s:s, s:{s:s}, s:o}], s:s, s:o,"
        " s:[{s:b, s:o}]}",
        "tool", "driver", "name", "margin", "version", MG_VERSION, "rules", rules, "taxonomies",
        "name", "CWE", "organization", "MITRE", "informationUri", "https://cwe.mitre.org/",
        "shortDescription", "text", "The MITRE Common Weakness Enumeration", "taxa", taxa,
        "columnKind", "unicodeCodePoints", "results", r->results, "invocations",
        "executionSuccessful", t->errors == 0, "toolExecutionNotifications", r->notifications);
    r->results = r->notifications = NULL;
    if (root != NULL)
        json_object_set_new(run, "originalUriBaseIds",
                            json_pack("{s:{s:o}}", "%SRCROOT%", "uri", jstr(root)));
    free(root);
    if (r->o.diff_base != NULL)
        json_object_set_new(run, "properties",
                            json_pack("{s:o}", "diffBase", jstr(r->o.diff_base)));
    json_t *log =
        json_pack("{s:s, s:s, s:[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs", run);
    char *s = log ? json_dumps(log, JSON_INDENT(2)) : NULL;
    json_decref(log);
    if (s != NULL) {
        fputs(s, r->out);
        fputc('\n', r->out);
    }
    free(s);
}

static void finish_markdown(struct rep *r, const struct rep_totals *t)
{
    const char *verdict;
    if (t->checked == 0 && t->errors == 0)
        verdict = "nothing to review";
    else if (r->per_concern[C_SYNTAX] || r->per_concern[C_SECURITY])
        verdict = "changes requested";
    else if (t->findings > 0)
        verdict = "comments";
    else if (t->errors > 0)
        verdict = "incomplete";
    else
        verdict = "looks good";
    FILE *out = r->out;
    fprintf(out, "**margin review: %s**", verdict);
    if (t->findings > 0) {
        fprintf(out, " — %zu %s in %zu %s (", t->findings,
                plural(t->findings, "finding", "findings"), r->md_files,
                plural(r->md_files, "file", "files"));
        bool first = true;
        for (int c = 0; c < C_N; c++) {
            if (r->per_concern[c] == 0)
                continue;
            fprintf(out, "%s%zu %c%s", first ? "" : ", ", r->per_concern[c],
                    (char)tolower((unsigned char)concerns[c][0]), concerns[c] + 1);
            first = false;
        }
        fputs(")", out);
    } else {
        fprintf(out, " — no findings in %zu %s", t->checked, plural(t->checked, "file", "files"));
    }
    if (t->errors > 0)
        fprintf(out, "; %zu %s could not be checked", t->errors,
                plural(t->errors, "path", "paths"));
    if (r->o.diff_base != NULL)
        fprintf(out, "; lines changed against `%s`", r->o.diff_base);
    fputs(".\n", out);
    for (int c = 0; c < C_N; c++) {
        if (r->per_concern[c] == 0)
            continue;
        fprintf(out, "\n### %s (%zu)\n\n", concerns[c], r->per_concern[c]);
        for (size_t i = 0; i < r->n_md; i++)
            if (r->md[i].concern == c)
                fprintf(out, "%s\n", r->md[i].text);
    }
    if (t->fixed > 0)
        fprintf(out, "\n_margin fixed %zu %s in %zu %s._\n", t->fixed,
                plural(t->fixed, "finding", "findings"), t->fixed_files,
                plural(t->fixed_files, "file", "files"));
}

void rep_finish(struct rep *r, const struct rep_totals *t)
{
    if (r->o.statistics) {
        finish_statistics(r, t);
    } else {
        switch (r->o.fmt) {
        case REP_TEXT:
            print_summary(r->out, t);
            break;
        case REP_JSON:
            fputs(r->first ? "]\n" : "\n]\n", r->out);
            break;
        case REP_GITHUB:
            break;
        case REP_SARIF:
            finish_sarif(r, t);
            break;
        case REP_MARKDOWN:
            finish_markdown(r, t);
            break;
        }
    }
    json_decref(r->results);
    json_decref(r->notifications);
    for (size_t i = 0; i < r->n_md; i++)
        free(r->md[i].text);
    free(r->md);
    free(r->stats);
    free(r);
}
