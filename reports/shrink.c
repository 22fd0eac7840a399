/* shrink — the smallest run that still fails the same way; see shrink.h. */
#include "shrink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "reports/isolate.h"
#include "reports/sweep.h"

static uint64_t signature_of(const struct run_result *r)
{
    return r->signature;
}

/* Shortlex: fewer choices first, then the smaller sum of values. */
static int smaller(const struct choice_record *a, size_t an, const struct choice_record *b, size_t bn)
{
    if (an != bn)
        return an < bn;
    uint64_t sa = 0, sb = 0;
    for (size_t i = 0; i < an; i++) {
        sa += a[i].value;
        sb += b[i].value;
    }
    return sa < sb;
}

/* CPU seconds used so far by this process and its children that were waited for:
 * every candidate runs in a child, and the budget is the work done, whatever else
 * the machine is doing. */
static double cpu_seconds(void)
{
    struct rusage self, children;
    if (getrusage(RUSAGE_SELF, &self) != 0 || getrusage(RUSAGE_CHILDREN, &children) != 0)
        return 0; /* cannot fail with these arguments; a zero only extends the budget */
    double total = 0;
    const struct rusage *both[2] = {&self, &children};
    for (int i = 0; i < 2; i++)
        total += (double)both[i]->ru_utime.tv_sec + (double)both[i]->ru_utime.tv_usec / 1e6 +
                 (double)both[i]->ru_stime.tv_sec + (double)both[i]->ru_stime.tv_usec / 1e6;
    return total;
}

/* The wall-clock limit of one candidate, which must end even if it loops: twice the
 * CPU time left (the machine may be shared), a second at least. */
static double time_left(const struct shrinker *s)
{
    double left = s->cpu_deadline - cpu_seconds();
    return left < 1 ? 1 : (double)(uint64_t)(2 * left + 1);
}

/* Replays choices, in a child (a candidate that crashes or loops is not kept); keeps
 * the run when it is the same failure, smaller. */
static int try_candidate(struct shrinker *s, const struct choice_record *choices, size_t count)
{
    static const struct choice_record none[1];
    struct run_options run = s->run;
    run.replay = count ? choices : none;
    run.replay_count = count;
    run.record_choices = 1;
    struct run_result result;
    struct isolate_loss loss;
    s->runs++;
    int rc = isolate_run(&run, time_left(s), NULL, NULL, &result, NULL, &loss);
    s->interrupted |= rc == -EINTR;
    if (rc != 0 && rc != -EINTR && !s->failed)
        s->failed = rc; /* not a candidate refused: the harness failed */
    if (rc != 0 || loss.kind != ISOLATE_NONE) {
        run_result_free(&result);
        return 0;
    }
    int keep = result.outcome == s->best_result.outcome && signature_of(&result) == s->signature &&
               smaller(result.choices, result.choice_count, s->best.choices, s->best.count);
    if (!keep) {
        run_result_free(&result);
        return 0;
    }
    run_result_free(&s->best_result);
    free(s->best.choices);
    s->best_result = result;
    /* The choices the run consumed, normalised: that is the new best. */
    s->best.choices = result.choices;
    s->best.count = result.choice_count;
    s->best_result.choices = NULL;
    s->best_result.choice_count = 0;
    s->accepted++;
    return 1;
}

static int out_of_time(const struct shrinker *s)
{
    return s->interrupted || s->failed || cpu_seconds() > s->cpu_deadline;
}

void shrink_reduce(struct shrinker *s)
{
    int improved = 1;
    struct choice_record *work = NULL;
    while (improved && !out_of_time(s)) {
        improved = 0;
        /* 1. cut the tail: keep the first half, three quarters, ... */
        for (size_t keep = s->best.count / 2; keep < s->best.count && !out_of_time(s);) {
            if (try_candidate(s, s->best.choices, keep)) {
                improved = 1;
                keep = s->best.count / 2;
            } else {
                keep += (s->best.count - keep + 1) / 2;
            }
        }
        /* 2. delete chunks of 8, 4, 2, 1 */
        for (size_t chunk = 8; chunk >= 1 && !out_of_time(s); chunk /= 2)
            for (size_t at = 0; at + chunk <= s->best.count && !out_of_time(s);) {
                free(work);
                work = malloc((s->best.count + 1) * sizeof *work);
                if (!work)
                    return;
                memcpy(work, s->best.choices, at * sizeof *work);
                memcpy(work + at, s->best.choices + at + chunk,
                       (s->best.count - at - chunk) * sizeof *work);
                if (try_candidate(s, work, s->best.count - chunk))
                    improved = 1;
                else
                    at++;
            }
        /* 3. lower each value: to 0, else to half */
        for (size_t i = 0; i < s->best.count && !out_of_time(s); i++) {
            while (s->best.choices[i].value > 0 && !out_of_time(s) && i < s->best.count) {
                free(work);
                work = malloc((s->best.count + 1) * sizeof *work);
                if (!work)
                    return;
                memcpy(work, s->best.choices, s->best.count * sizeof *work);
                uint64_t old = work[i].value;
                work[i].value = 0;
                if (try_candidate(s, work, s->best.count)) {
                    improved = 1;
                    continue;
                }
                work[i].value = old / 2;
                if (old / 2 == old || !try_candidate(s, work, s->best.count))
                    break;
                improved = 1;
            }
        }
    }
    free(work);
}

int shrink_start(struct shrinker *s, const struct repro *repro, uint64_t seconds)
{
    memset(s, 0, sizeof *s);
    s->run = repro->options;
    s->cpu_deadline = cpu_seconds() + (double)seconds;
    static const struct choice_record none[1];
    struct run_options first = s->run;
    if (repro->has_choices) {
        first.replay = repro->choice_count ? repro->choices : none;
        first.replay_count = repro->choice_count;
    }
    first.record_choices = 1;
    struct isolate_loss loss;
    int rc = isolate_run(&first, time_left(s), NULL, NULL, &s->best_result, NULL, &loss);
    if (rc != 0) {
        run_result_free(&s->best_result);
        return rc;
    }
    s->runs = 1;
    if (loss.kind != ISOLATE_NONE)
        return -ECHILD; /* best_result says how it ended */
    if (s->best_result.outcome == SCHED_OUTCOME_PASS) {
        run_result_free(&s->best_result);
        return -EINVAL;
    }
    s->signature = signature_of(&s->best_result);
    /* The choices the original consumed are the first best. */
    s->best.choices = s->best_result.choices;
    s->best.count = s->best_result.choice_count;
    s->best_result.choices = NULL;
    return 0;
}

int shrink_finished(const struct shrinker *s)
{
    return !out_of_time(s);
}

uint64_t shrink_count_nonzero(const struct shrinker *s, enum choice_kind kind)
{
    uint64_t count = 0;
    for (size_t i = 0; i < s->best.count; i++)
        count += s->best.choices[i].kind == kind && s->best.choices[i].value != 0;
    return count;
}

void shrink_write_stream(const struct shrinker *s, FILE *out, const char *path)
{
    struct run_result written = s->best_result;
    written.choices = s->best.choices;
    written.choice_count = s->best.count;
    repro_write_stream(out, path, &s->run, &written);
}

void shrink_free(struct shrinker *s)
{
    free(s->best.choices);
    s->best.choices = NULL;
    s->best.count = 0;
    run_result_free(&s->best_result);
}
