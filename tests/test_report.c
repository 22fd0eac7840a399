/* Run reports: the HTML page (--report), the Chrome trace (--chrome-trace), sweep
 * --report, and the collector behind them. The command-line tests run the built
 * binary (DETSIM_BIN, default build/detsim); the page is checked by a small
 * well-formedness checker, the trace by a small JSON parser. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reports/report.h"
#include "sim/run.h"

/* ---- running the command -------------------------------------------------------- */

#define CLI_WORK_PREFIX "/tmp/detsim-report-"
#include "cli_helpers.h"

TestSuite(report, .fini = remove_work_dir);

/* The whole of a file in the work directory, NUL-terminated (the caller frees), or
 * NULL when it does not exist. */
static char *read_file(const char *name, size_t *length)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", work_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)bytes + 1);
    cr_assert_not_null(data);
    size_t got = fread(data, 1, (size_t)bytes, f);
    data[got] = '\0';
    fclose(f);
    if (length)
        *length = got;
    return data;
}

static void write_file(const char *name, const char *content)
{
    make_work_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/%s", work_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(content, f);
    fclose(f);
}

static int file_exists(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", work_dir, name);
    return access(path, F_OK) == 0;
}

/* ---- an HTML well-formedness checker -------------------------------------------- */

static int is_void_element(const char *name)
{
    static const char *const names[] = {"area", "base", "br",    "col",  "embed", "hr",  "img",
                                        "input", "link", "meta", "source", "track", "wbr", NULL};
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* Whether text at p is an entity we write: &amp; &lt; &gt; &quot; &#39; */
static int entity_length(const char *p)
{
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;", NULL};
    for (int i = 0; entities[i]; i++)
        if (strncmp(p, entities[i], strlen(entities[i])) == 0)
            return (int)strlen(entities[i]);
    return 0;
}

/* Checks that html is well formed the way our pages are: a doctype, exactly one
 * <html>, every non-void element closed in order (or self-closed, in SVG), text and
 * attribute values with & < > escaped, <style> as raw text. Returns 0, or -1 with
 * the problem and where it is in why. */
static int html_check(const char *html, char *why, size_t why_bytes)
{
    char stack[512][24];
    int depth = 0, html_count = 0;
    const char *p = html;
    if (strncmp(p, "<!DOCTYPE html>", 15) != 0) {
        snprintf(why, why_bytes, "no <!DOCTYPE html> first");
        return -1;
    }
    p += 15;
    while (*p) {
        long at = (long)(p - html);
        if (*p == '&') {
            int n = entity_length(p);
            if (!n) {
                snprintf(why, why_bytes, "unescaped & at %ld: %.40s", at, p);
                return -1;
            }
            p += n;
            continue;
        }
        if (*p == '>') {
            snprintf(why, why_bytes, "unescaped > in text at %ld: %.40s", at, p > html + 20 ? p - 20 : p);
            return -1;
        }
        if (*p != '<') {
            p++;
            continue;
        }
        if (strncmp(p, "<!--", 4) == 0) {
            const char *end = strstr(p, "-->");
            if (!end) {
                snprintf(why, why_bytes, "unclosed comment at %ld", at);
                return -1;
            }
            p = end + 3;
            continue;
        }
        int closing = p[1] == '/';
        const char *name_start = p + 1 + closing;
        size_t name_length = 0;
        while ((name_start[name_length] >= 'a' && name_start[name_length] <= 'z') ||
               (name_start[name_length] >= '0' && name_start[name_length] <= '9'))
            name_length++;
        if (name_length == 0 || name_length >= sizeof stack[0]) {
            snprintf(why, why_bytes, "unescaped < or a bad tag at %ld: %.40s", at, p);
            return -1;
        }
        char name[24];
        memcpy(name, name_start, name_length);
        name[name_length] = '\0';
        /* the attributes: quoted values may not hold < or an unescaped & */
        const char *q = name_start + name_length;
        int quoted = 0;
        for (; *q && (quoted || *q != '>'); q++) {
            if (*q == '"')
                quoted = !quoted;
            else if (quoted && *q == '<') {
                snprintf(why, why_bytes, "< in an attribute of <%s> at %ld", name, at);
                return -1;
            } else if (quoted && *q == '&' && !entity_length(q)) {
                snprintf(why, why_bytes, "unescaped & in an attribute of <%s> at %ld", name, at);
                return -1;
            } else if (!quoted && (*q == '<' || *q == '\'')) {
                snprintf(why, why_bytes, "malformed tag <%s> at %ld", name, at);
                return -1;
            }
        }
        if (!*q) {
            snprintf(why, why_bytes, "unterminated tag <%s> at %ld", name, at);
            return -1;
        }
        int self_closed = q[-1] == '/';
        p = q + 1;
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0) {
                snprintf(why, why_bytes, "</%s> at %ld closes <%s>", name, at,
                         depth ? stack[depth - 1] : "nothing");
                return -1;
            }
            depth--;
            continue;
        }
        html_count += strcmp(name, "html") == 0;
        if (self_closed || is_void_element(name))
            continue;
        if (strcmp(name, "style") == 0 || strcmp(name, "script") == 0) {
            /* raw text up to its end tag */
            char end_tag[32];
            snprintf(end_tag, sizeof end_tag, "</%s>", name);
            const char *end = strstr(p, end_tag);
            if (!end) {
                snprintf(why, why_bytes, "<%s> never closed", name);
                return -1;
            }
            p = end + strlen(end_tag);
            continue;
        }
        if (depth == (int)(sizeof stack / sizeof stack[0])) {
            snprintf(why, why_bytes, "nested too deep at %ld", at);
            return -1;
        }
        snprintf(stack[depth++], sizeof stack[0], "%s", name);
    }
    if (depth) {
        snprintf(why, why_bytes, "<%s> never closed", stack[depth - 1]);
        return -1;
    }
    if (html_count != 1) {
        snprintf(why, why_bytes, "%d <html> elements", html_count);
        return -1;
    }
    return 0;
}

static void assert_well_formed(const char *html, const char *what)
{
    char why[256];
    cr_assert_eq(html_check(html, why, sizeof why), 0, "%s: %s", what, why);
}

/* The checker itself must catch what it is there for. */
Test(report, the_html_checker_finds_problems)
{
    char why[256];
    static const char *const bad[] = {
        "<!DOCTYPE html>\n<html><body><p>a -> b</p></body></html>",
        "<!DOCTYPE html>\n<html><body><p>a & b</p></body></html>",
        "<!DOCTYPE html>\n<html><body><p>a < b</p></body></html>",
        "<!DOCTYPE html>\n<html><body><p>open</body></html>",
        "<!DOCTYPE html>\n<html><body><p><b>crossed</p></b></body></html>",
        "<!DOCTYPE html>\n<html><body></body></html><html></html>",
        "<!DOCTYPE html>\n<html><body><a title=\"x<y\">t</a></body></html>",
        "<!DOCTYPE html>\n<html><body><a title=\"x&y\">t</a></body></html>",
        "<html><body></body></html>",
        NULL,
    };
    for (int i = 0; bad[i]; i++)
        cr_assert_eq(html_check(bad[i], why, sizeof why), -1, "should be refused: %s", bad[i]);
    const char *good = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>a>b{}</style>"
                       "</head><body><p>a -&gt; b &amp; c &lt; d &#39;e&#39;</p><br>"
                       "<svg><rect x=\"1\"/><text>t<title>&quot;</title></text></svg>"
                       "</body></html>\n";
    cr_assert_eq(html_check(good, why, sizeof why), 0, "%s", why);
}

/* ---- a small JSON parser, for the Chrome trace ---------------------------------- */

struct json {
    const char *p;
    int depth;
};

static void json_space(struct json *j)
{
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')
        j->p++;
}

static int json_value(struct json *j);

static int json_string(struct json *j)
{
    if (*j->p != '"')
        return -1;
    for (j->p++; *j->p != '"'; j->p++) {
        if ((unsigned char)*j->p < 0x20)
            return -1;
        if (*j->p == '\\') {
            j->p++;
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i])
                        return -1;
                j->p += 4;
            } else if (!*j->p || !strchr("\"\\/bfnrt", *j->p)) {
                return -1;
            }
        }
    }
    j->p++;
    return 0;
}

static int json_number(struct json *j)
{
    const char *start = j->p;
    if (*j->p == '-')
        j->p++;
    if (*j->p == '0')
        j->p++;
    else if (*j->p >= '1' && *j->p <= '9')
        while (*j->p >= '0' && *j->p <= '9')
            j->p++;
    else
        return -1;
    if (*j->p == '.') {
        j->p++;
        if (!(*j->p >= '0' && *j->p <= '9'))
            return -1;
        while (*j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-')
            j->p++;
        if (!(*j->p >= '0' && *j->p <= '9'))
            return -1;
        while (*j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    return j->p > start ? 0 : -1;
}

static int json_members(struct json *j, char open, char close)
{
    if (*j->p != open || ++j->depth > 64)
        return -1;
    j->p++;
    json_space(j);
    if (*j->p == close) {
        j->p++;
        j->depth--;
        return 0;
    }
    for (;;) {
        json_space(j);
        if (open == '{') {
            if (json_string(j) != 0)
                return -1;
            json_space(j);
            if (*j->p++ != ':')
                return -1;
        }
        if (json_value(j) != 0)
            return -1;
        json_space(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != close)
            return -1;
        j->p++;
        j->depth--;
        return 0;
    }
}

static int json_value(struct json *j)
{
    json_space(j);
    switch (*j->p) {
    case '{': return json_members(j, '{', '}');
    case '[': return json_members(j, '[', ']');
    case '"': return json_string(j);
    case 't': return strncmp(j->p, "true", 4) == 0 ? (j->p += 4, 0) : -1;
    case 'f': return strncmp(j->p, "false", 5) == 0 ? (j->p += 5, 0) : -1;
    case 'n': return strncmp(j->p, "null", 4) == 0 ? (j->p += 4, 0) : -1;
    default: return json_number(j);
    }
}

/* Returns 0 when text is one JSON value with nothing after it, or the offset of the
 * first problem + 1. */
static long json_check(const char *text)
{
    struct json j = {text, 0};
    if (json_value(&j) != 0)
        return (long)(j.p - text) + 1;
    json_space(&j);
    return *j.p ? (long)(j.p - text) + 1 : 0;
}

Test(report, the_json_checker_finds_problems)
{
    static const char *const bad[] = {"{", "{\"a\":1,}", "[1 2]", "{\"a\":01}", "{'a':1}",
                                      "[\"\t\"]", "[1.]", "{\"a\":1}x", "[\"\\x\"]", NULL};
    for (int i = 0; bad[i]; i++)
        cr_assert_neq(json_check(bad[i]), 0, "should be refused: %s", bad[i]);
    cr_assert_eq(json_check("{\"a\":[1,-2.5e3,\"x\\\"\\u00e9\",true,false,null,{}]}\n"), 0);
}

/* ---- the page of a hang ---------------------------------------------------------- */

/* The part of text between from and the next to (both included), or NULL. */
static char *section(const char *text, const char *from, const char *to)
{
    const char *start = strstr(text, from);
    if (!start)
        return NULL;
    const char *end = strstr(start, to);
    size_t length = end ? (size_t)(end - start) + strlen(to) : strlen(start);
    char *copy = malloc(length + 1);
    cr_assert_not_null(copy);
    memcpy(copy, start, length);
    copy[length] = '\0';
    return copy;
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

Test(report, a_deadlock_page_shows_the_processes_the_cycle_and_the_limits)
{
    struct cli_result *r = shell("$DETSIM run lock-order --seed 3 --quiet");
    char plain[256];
    snprintf(plain, sizeof plain, "%.255s", r->out);
    r = shell("$DETSIM run lock-order --seed 3 --expect hang-deadlock --report r.html");
    cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
    cr_assert(strstr(r->out, plain), "the summary is the same with --report:\n%s\n%s", plain,
              r->out);
    cr_assert(strstr(r->out, "report written to r.html"), "%s", r->out);
    char *html = read_file("r.html", NULL);
    cr_assert_not_null(html, "r.html was written");
    assert_well_formed(html, "lock-order seed 3");
    /* the outcome and how to replay it */
    cr_assert(strstr(html, "scenario=lock-order seed=3 outcome=hang-deadlock steps=16 "
                           "vtime=16.000us hash=0x5af6d7e60193b887"));
    cr_assert(strstr(html, "<pre>detsim run lock-order --seed 3</pre>"));
    /* the wait-for graph: both tasks and both mutexes, on the cycle, in red */
    char *graph = section(html, "<h2 id=\"wait-for\">", "</svg>");
    cr_assert_not_null(graph, "the page has a wait-for graph");
    cr_assert(strstr(graph, "pid 3 left") && strstr(graph, "pid 4 right"), "%s", graph);
    cr_assert(strstr(graph, "mutex &quot;A&quot;") && strstr(graph, "mutex &quot;B&quot;"), "%s",
              graph);
    cr_assert(strstr(graph, "pid 2 main"), "main waits for left to exit: %s", graph);
    cr_assert_eq(count(graph, "class=\"edge cycle\""), 4,
                 "two waits-for and two held-by edges are on the cycle:\n%s", graph);
    cr_assert_eq(count(graph, "class=\"edge\""), 2, "main's wait is not on the cycle:\n%s", graph);
    cr_assert_eq(count(graph, "on-cycle"), 5,
                 "two tasks and two mutexes on the ring, and left again as what main waits "
                 "for:\n%s",
                 graph);
    free(graph);
    /* the hang report, escaped */
    cr_assert(strstr(html, "Wait-for cycle (2 tasks):"));
    cr_assert(strstr(html, "-&gt; back to pid 3: none of these tasks can ever proceed."));
    /* the timeline: a lane for every process, the cycle first */
    char *timeline = section(html, "<h2 id=\"timeline\">", "</svg>");
    cr_assert_not_null(timeline);
    const char *left = strstr(timeline, ">pid 3 left</text>"),
               *right = strstr(timeline, ">pid 4 right</text>"),
               *main_lane = strstr(timeline, ">pid 2 main</text>"),
               *init = strstr(timeline, ">pid 1 init</text>");
    cr_assert(left && right && main_lane && init, "a lane per process:\n%s", timeline);
    cr_assert(left < right && right < main_lane && main_lane < init,
              "the cycle first, then the other blocked task, then init");
    cr_assert(strstr(timeline, "class=\"b2\""), "blocked time is drawn");
    free(timeline);
    /* the limits */
    cr_assert(strstr(html, "max_channels = 64"));
    cr_assert(strstr(html, "max_procs = 64"));
    cr_assert(strstr(html, "max_ports = 64"));
    cr_assert(strstr(html, "heap_bytes = 4194304"));
    cr_assert(strstr(html, "peak 4 of 64"), "four process slots in use");
    /* nothing fetched, nothing run */
    cr_assert_null(strstr(html, "<script"));
    cr_assert_null(strstr(html, "src="));
    cr_assert_null(strstr(html, "href="));
    free(html);
}

/* ---- the page of a leak and of other failures ----------------------------------- */

Test(report, a_leak_page_shows_the_leaked_objects_with_their_histories)
{
    struct cli_result *r =
        shell("$DETSIM run ipc-workload --seed 1 --set bug_leak_undelivered_handles=true "
              "--set handle_transfer=move "
              "--fault slots/handles:free=0,after=30 --expect leak --report leak.html --quiet");
    cr_assert_eq(r->status, 0, "the run leaks: exit %d %s %s", r->status, r->out, r->err);
    char *html = read_file("leak.html", NULL);
    cr_assert_not_null(html);
    assert_well_formed(html, "the leak");
    char *leaks = section(html, "<h2 id=\"leaks\">", "<h2 id=\"timeline\">");
    cr_assert_not_null(leaks, "a leaked-objects section");
    cr_assert(strstr(leaks, "LEAK: the run ended with 2 objects left over:"), "%s", leaks);
    cr_assert(strstr(leaks, "<div class=\"leak-head\">channel 1 still holds a slot (created by pid "
                            "3 at step 16)</div>"),
              "%s", leaks);
    cr_assert(strstr(leaks, "1 in-flight reference lost with a destroyed message"), "%s", leaks);
    cr_assert(strstr(leaks, "last put handle"), "the reference history: %s", leaks);
    cr_assert(strstr(leaks, "heap block 9: 128 bytes tagged chan"), "%s", leaks);
    free(leaks);
    cr_assert(strstr(html, "<pre>detsim run ipc-workload --seed 1 --set handle_transfer=move "
                           "--set bug_leak_undelivered_handles=true --fault "
                           "slots/handles:free=0,after=30</pre>"),
              "the replay command names what differs from the defaults and the fault");
    cr_assert(strstr(html, "<code>slots/handles:free=0,after=30</code>"), "the fault is listed");
    cr_assert(strstr(html, "class=\"m-fault\""), "fired faults are marked on the timeline");
    free(html);
}

Test(report, every_outcome_gives_a_well_formed_page)
{
    static const struct {
        const char *args;
        const char *outcome;
        const char *needle;
    } runs[] = {
        {"run lock-order --seed 4", "pass", "The run passed"},
        {"run lock-order --seed 3 --max-steps 12", "hang-budget", "HANG (budget)"},
        {"run ipc-workload --seed 2 --set infallible=true --set heap_fail_nth=10", "panic",
         "[KERNEL OOM] size=512 pid=4"},
        {"run ipc-workload --seed 2 --set infallible=true --set heap_fail_nth=10 "
         "--set oom_policy=kill-process",
         "pass", "class=\"m-oom\""},
        {"run ipc-workload --seed 5 --fault slots/channels:free=2,after=20", "pass",
         "usable under a slot fault: 5"},
        {"run ping-pong --seed 42", "pass", "Timeline"},
        {"run ping-pong --seed 42 --set step_time=0ns", "pass", "over steps (step_time is 0"},
        {"run lock-order --set heap_bytes=1024", "panic", "PANIC at boot"},
        {"run ipc-workload --seed 4 --set infallible=true --fault 'model/*:p=0.05' "
         "--strategy pct:depth=2,steps=40",
         "", "--fault &#39;model/*:p=0.05&#39;"},
    };
    for (unsigned i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        struct cli_result *r = shell("rm -f p.html; $DETSIM %s --report p.html --quiet%s%s",
                                     runs[i].args, runs[i].outcome[0] ? " --expect " : "",
                                     runs[i].outcome);
        cr_assert(r->status == 0 || !runs[i].outcome[0], "%s: exit %d %s %s", runs[i].args,
                  r->status, r->out, r->err);
        char *html = read_file("p.html", NULL);
        cr_assert_not_null(html, "%s: a page", runs[i].args);
        assert_well_formed(html, runs[i].args);
        cr_assert(strstr(html, runs[i].needle), "%s: the page shows '%s'", runs[i].args,
                  runs[i].needle);
        free(html);
    }
}

/* ---- big runs stay readable ------------------------------------------------------ */

Test(report, a_run_of_hundreds_of_processes_gives_a_page_of_bounded_size)
{
    /* 402 processes and more than 100,000 events */
    struct cli_result *r =
        shell("$DETSIM run ipc-workload --seed 1 --set workers=400 --set max_procs=500 "
              "--set max_handles=500 --set max_channels=5000 --set heap_bytes=64MiB "
              "--set messages=50 --report big.html --quiet");
    cr_assert_eq(r->status, 0, "exit %d: %s %s", r->status, r->out, r->err);
    size_t length = 0;
    char *html = read_file("big.html", &length);
    cr_assert_not_null(html);
    assert_well_formed(html, "the big run");
    cr_assert(strstr(html, "<th>processes</th><td class=\"n\">402</td>"), "402 processes");
    const char *events = strstr(html, "<th>events</th><td class=\"n\">");
    cr_assert_not_null(events);
    long event_count = strtol(events + strlen("<th>events</th><td class=\"n\">"), NULL, 10);
    cr_assert_gt(event_count, 100000, "more than 100,000 events: %ld", event_count);
    /* one byte an event would already be 100 KB; every event drawn, megabytes */
    cr_assert_lt(length, 200000, "the page is %zu bytes for %ld events", length, event_count);
    char *timeline = section(html, "<h2 id=\"timeline\">", "</svg>");
    cr_assert_not_null(timeline);
    cr_assert_eq(count(timeline, "<text x=\"4\""), REPORT_LANES_SHOWN_MAX + 1,
                 "%d lanes and one for the rest", REPORT_LANES_SHOWN_MAX);
    cr_assert(strstr(timeline, ">+362 more processes</text>"), "the rest in one row");
    free(timeline);
    free(html);
}

/* ---- the Chrome trace ------------------------------------------------------------ */

Test(report, the_chrome_trace_is_json_with_a_named_process_per_pid)
{
    struct cli_result *r = shell("$DETSIM run lock-order --seed 3 --expect hang-deadlock "
                                 "--chrome-trace c.json --quiet");
    cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
    char *json = read_file("c.json", NULL);
    cr_assert_not_null(json);
    long problem = json_check(json);
    cr_assert_eq(problem, 0, "not JSON at offset %ld: %.60s", problem - 1,
                 problem ? json + problem - 1 : "");
    cr_assert_eq(strncmp(json, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", 39), 0);
    static const char *const names[] = {"init", "main", "left", "right"};
    for (int pid = 1; pid <= 4; pid++) {
        char needle[160];
        snprintf(needle, sizeof needle,
                 "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":"
                 "\"%s\"}}",
                 pid, pid, names[pid - 1]);
        cr_assert(strstr(json, needle), "process_name of pid %d: %s", pid, needle);
        snprintf(needle, sizeof needle, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d", pid);
        cr_assert(strstr(json, needle), "thread_name of pid %d", pid);
    }
    /* main blocked in wait from step 10, still blocked when the run ended at 16 */
    cr_assert(strstr(json, "{\"name\":\"blocked in wait\",\"cat\":\"blocked\",\"ph\":\"X\",\"pid\":2,"
                           "\"tid\":2,\"ts\":10.000,\"dur\":6.000,"),
              "%s", json);
    cr_assert_eq(count(json, "\"name\":\"blocked in mutex_lock\""), 2, "left and right");
    cr_assert(strstr(json, "\"ended_by\":\"the end of the run\""));
    cr_assert(strstr(json, "{\"name\":\"mutex_create\",\"cat\":\"call\",\"ph\":\"i\",\"s\":\"t\","));
    cr_assert(strstr(json, "\"ph\":\"C\""), "resource counters");
    cr_assert(strstr(json, "\"otherData\":{\"scenario\":\"lock-order\",\"seed\":\"3\","));
    cr_assert(strstr(json, "\"outcome\":\"hang-deadlock\""));
    cr_assert(strstr(json, "\"hash\":\"0x5af6d7e60193b887\""));
    free(json);

    r = shell("$DETSIM run ipc-workload --seed 2 --fault model/chan/send:nth=2 "
              "--chrome-trace f.json --quiet");
    cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
    json = read_file("f.json", NULL);
    cr_assert_not_null(json);
    cr_assert_eq(json_check(json), 0);
    cr_assert(strstr(json, "{\"name\":\"fault model/chan/send\",\"cat\":\"fault\",\"ph\":\"i\""),
              "the fired fault is an instant event");
    cr_assert(strstr(json, "\"result\":\"-ENOMEM\""));
    free(json);
}

/* ---- files: bad paths, no clobbering, determinism ----------------------------------- */

Test(report, a_bad_path_runs_nothing_and_writes_nothing)
{
    static const char *const args[] = {
        "--report no/such/dir/r.html",
        "--chrome-trace no/such/dir/c.json",
        "--report -",
        "--chrome-trace -",
    };
    for (unsigned i = 0; i < sizeof args / sizeof args[0]; i++) {
        struct cli_result *r =
            shell("$DETSIM run lock-order --seed 3 --save-repro x.repro --trace t.txt "
                  "--report ok.html %s",
                  args[i]);
        cr_assert_eq(r->status, 2, "%s: exit %d, want 2", args[i], r->status);
        cr_assert_eq(r->err_lines, 1, "%s: one line on stderr: %s", args[i], r->err);
        cr_assert(strstr(r->err, "detsim: "), "%s", r->err);
        cr_assert_null(strstr(r->out, "outcome="), "%s: nothing ran", args[i]);
        cr_assert(!file_exists("x.repro") && !file_exists("t.txt"), "%s: nothing written",
                  args[i]);
        r = shell("ls");
        cr_assert_null(strstr(r->out, ".tmp."), "%s: no temporary file left:\n%s", args[i],
                      r->out);
    }
    struct cli_result *r = shell("$DETSIM replay missing.repro --report r.html");
    cr_assert_eq(r->status, 2);
    cr_assert(!file_exists("r.html"));
}

Test(report, a_failed_command_leaves_existing_reports_alone)
{
    write_file("keep.html", "keep me\n");
    write_file("keep.json", "keep me too\n");
    static const char *const args[] = {
        "--seed nope",
        "--fault model/heap/alloc:p=2",
        "--set colour=blue",
        "--trace no/such/dir/t.txt",
    };
    for (unsigned i = 0; i < sizeof args / sizeof args[0]; i++) {
        struct cli_result *r = shell("$DETSIM run lock-order %s --report keep.html "
                                     "--chrome-trace keep.json",
                                     args[i]);
        cr_assert_eq(r->status, 2, "%s: exit %d", args[i], r->status);
        char *html = read_file("keep.html", NULL), *json = read_file("keep.json", NULL);
        cr_assert_str_eq(html, "keep me\n", "%s clobbered the page", args[i]);
        cr_assert_str_eq(json, "keep me too\n", "%s clobbered the trace", args[i]);
        free(html);
        free(json);
    }
    /* a good run replaces them whole */
    struct cli_result *r = shell("$DETSIM run lock-order --seed 4 --report keep.html "
                                 "--chrome-trace keep.json --quiet");
    cr_assert_eq(r->status, 0, "%s", r->err);
    char *html = read_file("keep.html", NULL);
    assert_well_formed(html, "the replaced page");
    free(html);
}

Test(report, the_same_run_gives_the_same_files)
{
    for (int i = 0; i < 2; i++) {
        struct cli_result *r =
            shell("$DETSIM run ipc-workload --seed 5 --fault slots/channels:free=2,after=20 "
                  "--report a%d.html --chrome-trace a%d.json --quiet",
                  i, i);
        cr_assert_eq(r->status, 0, "%s", r->err);
    }
    struct cli_result *r = shell("cmp a0.html a1.html && cmp a0.json a1.json");
    cr_assert_eq(r->status, 0, "reports differ between two runs: %s", r->out);
}

/* Turns the entities the page writes back into text. */
static void unescape(char *text)
{
    static const struct {
        const char *entity;
        char c;
    } entities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
    char *out = text;
    for (const char *p = text; *p;) {
        unsigned i = 0;
        while (i < 5 && strncmp(p, entities[i].entity, strlen(entities[i].entity)) != 0)
            i++;
        if (i < 5) {
            *out++ = entities[i].c;
            p += strlen(entities[i].entity);
        } else {
            *out++ = *p++;
        }
    }
    *out = '\0';
}

/* The first <pre> after marker, unescaped; the caller frees. */
static char *pre_after(const char *html, const char *marker)
{
    const char *at = strstr(html, marker);
    cr_assert_not_null(at, "the page has %s", marker);
    char *pre = section(at, "<pre>", "</pre>");
    cr_assert_not_null(pre);
    pre[strlen(pre) - strlen("</pre>")] = '\0';
    memmove(pre, pre + 5, strlen(pre + 5) + 1);
    unescape(pre);
    return pre;
}

Test(report, the_replay_commands_on_the_page_replay_the_run)
{
    struct cli_result *r =
        shell("$DETSIM run ipc-workload --seed 4 --set infallible=true --set messages=9 "
              "--fault 'model/*:p=0.05' --strategy pct:depth=2,steps=40 "
              "--save-repro 'odd <name> & co.repro' --report r.html --quiet");
    char summary[256];
    snprintf(summary, sizeof summary, "%.255s", r->out);
    cr_assert(strstr(summary, "outcome="), "%s %s", r->out, r->err);
    char *html = read_file("r.html", NULL);
    cr_assert_not_null(html);
    assert_well_formed(html, "odd repro name");
    cr_assert(strstr(html, "detsim replay &#39;odd &lt;name&gt; &amp; co.repro&#39;"),
              "the repro file's name is quoted and escaped");
    char *command = pre_after(html, "<h2 id=\"replay\">");
    cr_assert(strstr(command, "--fault 'model/*:p=0.05'"), "%s", command);
    cr_assert(strstr(command, "--strategy pct:depth=2,steps=40"), "%s", command);
    cr_assert(strstr(command, "--set messages=9"), "%s", command);
    cr_assert_null(strstr(command, "--set workers"), "defaults are left out: %s", command);
    cr_assert_eq(strncmp(command, "detsim ", 7), 0);
    r = shell("$DETSIM %s --quiet", command + 7);
    cr_assert_str_eq(r->out, summary, "the page's command replays the run: %s", command);
    char *replay = pre_after(strstr(html, "From the repro file"), "From the repro file");
    r = shell("$DETSIM %s --quiet", replay + 7);
    cr_assert(strstr(r->out, "hash matches"), "%s: %s %s", replay, r->out, r->err);
    free(replay);
    free(command);
    free(html);

    /* a replayed recording: the page's command replays the recording */
    r = shell("$DETSIM run lock-order --seed 8 --set rounds=3 --expect hang-deadlock "
              "--save-repro lo8.repro --quiet && $DETSIM shrink lo8.repro >/dev/null && "
              "$DETSIM replay lo8.shrunk.repro --report shrunk.html --quiet");
    cr_assert_eq(r->status, 0, "%s %s", r->out, r->err);
    html = read_file("shrunk.html", NULL);
    cr_assert_not_null(html);
    command = pre_after(html, "<h2 id=\"replay\">");
    cr_assert(strstr(command, "--strategy replay:lo8.shrunk.repro"), "%s", command);
    r = shell("$DETSIM %s --expect hang-deadlock --quiet", command + 7);
    const char *hash = strstr(html, "hash=0x");
    cr_assert_not_null(hash);
    char wanted[32];
    snprintf(wanted, sizeof wanted, "%.23s", hash);
    cr_assert(strstr(r->out, wanted), "%s gives %s, want %s", command, r->out, wanted);
    free(command);
    free(html);
}

/* ---- sweeps ---------------------------------------------------------------------- */

Test(report, sweep_report_writes_a_page_beside_each_group_repro)
{
    struct cli_result *r = shell("$DETSIM sweep lock-order --count 30 --jobs 2 --report --quiet");
    cr_assert_eq(r->status, 1, "some seeds deadlock: %s %s", r->out, r->err);
    const char *page = "reports/out/repro/lock-order-65a95f2db0f1e55d.html";
    cr_assert(strstr(r->out, "     report: reports/out/repro/lock-order-65a95f2db0f1e55d.html"),
              "the summary names the page:\n%s", r->out);
    char *html = read_file(page, NULL);
    cr_assert_not_null(html, "%s", page);
    assert_well_formed(html, page);
    cr_assert(strstr(html, "outcome=hang-deadlock"));
    cr_assert(strstr(html, "detsim replay reports/out/repro/lock-order-65a95f2db0f1e55d.repro"));
    cr_assert(strstr(html, "class=\"edge cycle\""), "the cycle is drawn");
    free(html);
    /* without --report, no page */
    r = shell("rm -rf reports && $DETSIM sweep lock-order --count 30 --jobs 2 --quiet");
    cr_assert(!file_exists(page));
    cr_assert_null(strstr(r->out, "report:"));
    /* fail-nth groups get pages too */
    r = shell("$DETSIM sweep ipc-workload --fail-nth model/heap/alloc --persistent "
              "--set infallible=true --report");
    cr_assert(strstr(r->out, "report: reports/out/repro/ipc-workload-"), "%s", r->out);
}

/* ---- the collector, in the process ------------------------------------------------- */

static struct run_options options_for(const char *scenario, uint64_t seed)
{
    struct run_options options = {0};
    options.scenario = scenario_find(scenario);
    cr_assert_not_null(options.scenario);
    options.seed = seed;
    options.strategy = SCHED_STRATEGY_DEFAULT;
    cr_assert_eq(run_config_init(&options.config, options.scenario), 0);
    return options;
}

Test(report, reports_never_change_the_run)
{
    static const char *const scenarios[] = {"lock-order", "ipc-workload", "ping-pong"};
    for (unsigned k = 0; k < 3; k++)
        for (uint64_t seed = 0; seed < 30; seed++) {
            struct run_options plain = options_for(scenarios[k], seed);
            struct run_result without, with;
            cr_assert_eq(run_scenario(&plain, &without), 0);
            struct run_options observed = plain;
            FILE *html = tmpfile(), *chrome = tmpfile();
            cr_assert(html && chrome);
            struct report_outputs outputs = {html, chrome, NULL, NULL};
            cr_assert_eq(report_outputs_attach(&outputs, &observed), 0);
            cr_assert_eq(run_scenario(&observed, &with), 0);
            cr_assert_eq(report_outputs_finish(&outputs, &observed, &with), 0);
            cr_assert_eq(with.hash, without.hash, "%s seed %llu: the hash changed", scenarios[k],
                         (unsigned long long)seed);
            cr_assert_eq(with.outcome, without.outcome);
            cr_assert_eq(with.steps, without.steps);
            cr_assert_gt(ftell(html), 1000, "%s seed %llu: a page", scenarios[k],
                         (unsigned long long)seed);
            report_outputs_free(&outputs);
            fclose(html);
            fclose(chrome);
            run_result_free(&without);
            run_result_free(&with);
        }
}

struct graph_capture {
    struct sched_wait_graph graph;
    int ends;
};

static void capture_end(void *context, const struct run_result *result, const struct run_view *view)
{
    struct graph_capture *capture = context;
    (void)result;
    capture->ends++;
    if (!view->wait_graph)
        return;
    const struct sched_wait_graph *g = view->wait_graph;
    capture->graph = *g;
    /* copied: the graph is freed after the callback */
    capture->graph.tasks = malloc(g->task_count * sizeof *g->tasks);
    capture->graph.objects = malloc(g->object_count * sizeof *g->objects);
    capture->graph.edges = malloc(g->edge_count * sizeof *g->edges);
    capture->graph.cycle = malloc((g->cycle_length + 1) * sizeof *g->cycle);
    memcpy(capture->graph.tasks, g->tasks, g->task_count * sizeof *g->tasks);
    memcpy(capture->graph.objects, g->objects, g->object_count * sizeof *g->objects);
    memcpy(capture->graph.edges, g->edges, g->edge_count * sizeof *g->edges);
    memcpy(capture->graph.cycle, g->cycle, g->cycle_length * sizeof *g->cycle);
}

Test(report, a_hang_comes_with_its_wait_for_graph)
{
    struct run_options options = options_for("lock-order", 3);
    struct graph_capture capture = {{0}, 0};
    struct run_observer observer = {NULL, capture_end, &capture, NULL};
    options.observer = &observer;
    struct run_result result;
    cr_assert_eq(run_scenario(&options, &result), 0);
    cr_assert_eq(result.outcome, SCHED_OUTCOME_HANG_DEADLOCK);
    cr_assert_eq(capture.ends, 1, "on_end is called once");
    const struct sched_wait_graph *g = &capture.graph;
    cr_assert_eq(g->cycle_length, 2);
    cr_assert(g->cycle[0] == 3 && g->cycle[1] == 4, "left, then right: %u %u", g->cycle[0],
              g->cycle[1]);
    cr_assert_eq(g->task_count, 3, "main, left, right (init is a daemon)");
    cr_assert_eq(g->object_count, 3, "mutexes A and B, and left's exit");
    uint32_t on_cycle = 0;
    for (uint32_t i = 0; i < g->edge_count; i++) {
        const struct sched_wait_edge *e = &g->edges[i];
        on_cycle += e->in_cycle;
        const struct sched_wait_object *o = NULL;
        for (uint32_t k = 0; k < g->object_count; k++)
            if (g->objects[k].id == e->object)
                o = &g->objects[k];
        cr_assert_not_null(o, "every edge names an object of the graph");
        if (e->in_cycle)
            cr_assert(strcmp(o->label, "mutex \"A\"") == 0 || strcmp(o->label, "mutex \"B\"") == 0,
                      "the cycle goes through the mutexes, not %s", o->label);
        if (!e->holds && e->pid == 3)
            cr_assert_str_eq(o->label, "mutex \"B\"", "left waits for B");
        if (e->holds && e->pid == 3)
            cr_assert(strcmp(o->label, "mutex \"A\"") == 0 || strcmp(o->label, "exit of pid 3") == 0,
                      "left holds A (and its own exit): %s", o->label);
    }
    cr_assert_eq(on_cycle, 4);
    run_result_free(&result);
    sched_wait_graph_free(&capture.graph);

    /* a run that passes has no graph */
    options = options_for("lock-order", 4);
    capture = (struct graph_capture){{0}, 0};
    options.observer = &observer;
    cr_assert_eq(run_scenario(&options, &result), 0);
    cr_assert_eq(result.outcome, SCHED_OUTCOME_PASS);
    cr_assert_eq(capture.ends, 1);
    cr_assert_eq(capture.graph.task_count, 0);
    run_result_free(&result);
}

Test(report, the_collector_keeps_every_event_as_columns_merge)
{
    struct run_options options = options_for("ping-pong", 42);
    struct report_collector collector;
    struct run_observer observer;
    cr_assert_eq(report_collector_init(&collector, 1000), 0);
    report_collector_observer(&collector, &observer);
    options.observer = &observer;
    struct run_result result;
    cr_assert_eq(run_scenario(&options, &result), 0);
    cr_assert_eq(result.steps, 5521, "the README's run");
    cr_assert(collector.ended);
    cr_assert_leq(collector.column_count, REPORT_COLUMNS);
    cr_assert_eq(collector.column_width, 64000, "1us doubled until 5.521ms fits in %d columns",
                 REPORT_COLUMNS);
    uint64_t all = 0, lanes = 0;
    for (uint32_t column = 0; column < REPORT_COLUMNS; column++)
        all += collector.all[column].events;
    for (uint32_t pid = 1; pid <= collector.lane_count; pid++) {
        const struct report_lane *lane = &collector.lanes[pid - 1];
        uint64_t cells = 0;
        for (uint32_t column = 0; column < REPORT_COLUMNS; column++)
            cells += lane->cells[column].events;
        cr_assert_eq(cells, lane->events, "pid %u: the cells hold all its events", pid);
        if (!lane->daemon)
            cr_assert_eq(lane->state, REPORT_LANE_EXITED, "pid %u exited", pid);
        lanes += lane->events;
    }
    cr_assert_eq(all, result.events, "no event lost in the merges");
    cr_assert_eq(collector.events, result.events);
    cr_assert_eq(lanes, result.events, "every event belongs to a process");
    cr_assert_eq(collector.lane_count, 4, "init, main and the two players");
    run_result_free(&result);
    report_collector_free(&collector);
}

Test(report, help_documents_the_options)
{
    struct cli_result *r = shell("$DETSIM run --help");
    cr_assert_eq(r->status, 0);
    cr_assert(strstr(r->out, "  --report FILE ") && strstr(r->out, "  --chrome-trace FILE "),
              "%s", r->out);
    r = shell("$DETSIM replay --help");
    cr_assert(strstr(r->out, "  --report FILE ") && strstr(r->out, "  --chrome-trace FILE "),
              "%s", r->out);
    r = shell("$DETSIM sweep --help");
    cr_assert(strstr(r->out, "  --report "), "%s", r->out);
}
