/* The choice stream: PRNG known answers, uniform draws, recording and replay. */
#include <criterion/criterion.h>

#include "util/choice.h"

Test(choice, splitmix64_known_answers)
{
    /* The reference outputs for seed 1234567 */
    static const uint64_t expected[] = {6457827717110365317ULL, 3203168211198807973ULL,
                                        9817491932198370423ULL, 4593380528125082431ULL,
                                        16408922859458223821ULL};
    uint64_t state = 1234567;
    for (int i = 0; i < 5; i++)
        cr_assert_eq(choice_splitmix64(&state), expected[i], "output %d", i);
}

Test(choice, xoshiro256starstar_known_answers)
{
    /* The reference outputs for state {1, 2, 3, 4} */
    static const uint64_t expected[] = {
        11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL, 1216172134540287360ULL,
        607988272756665600ULL, 16172922978634559625ULL, 8476171486693032832ULL,
        10595114339597558777ULL, 2904607092377533576ULL};
    uint64_t state[4] = {1, 2, 3, 4};
    for (int i = 0; i < 10; i++)
        cr_assert_eq(choice_xoshiro256ss(state), expected[i], "output %d", i);
}

Test(choice, draws_stay_in_range_and_cover_it)
{
    struct choice_stream cs;
    choice_init_seed(&cs, 42);
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t v = choice_draw(&cs, CHOICE_SCHED, 7);
        cr_assert_lt(v, 7);
        seen[v]++;
    }
    for (int v = 0; v < 7; v++)
        cr_assert(seen[v] > 800 && seen[v] < 1200, "value %d drawn %d times of 7000", v,
                  seen[v]);
    cr_assert_eq(choice_draw(&cs, CHOICE_SCHED, 1), 0);
    cr_assert_eq(cs.draws, 7000, "a range of 1 is not a draw");
}

Test(choice, same_seed_same_stream_different_seed_different_stream)
{
    struct choice_stream a, b, c;
    choice_init_seed(&a, 7);
    choice_init_seed(&b, 7);
    choice_init_seed(&c, 8);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = choice_draw(&a, CHOICE_SCHED, 1000), y = choice_draw(&b, CHOICE_SCHED, 1000);
        cr_assert_eq(x, y, "draw %d", i);
        differ += x != choice_draw(&c, CHOICE_SCHED, 1000);
    }
    cr_assert_gt(differ, 90);
}

Test(choice, recording_replays_exactly)
{
    struct choice_stream seeded;
    choice_init_seed(&seeded, 99);
    choice_record_start(&seeded);
    uint64_t values[50];
    for (int i = 0; i < 50; i++)
        values[i] = choice_draw(&seeded, i % 2 ? CHOICE_SCHED : CHOICE_KNOB, 2 + (uint64_t)i);
    choice_draw(&seeded, CHOICE_SCHED, 1); /* not recorded */
    cr_assert_eq(seeded.log_count, 50);

    struct choice_stream replay;
    choice_init_replay(&replay, seeded.log, seeded.log_count);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(choice_draw(&replay, i % 2 ? CHOICE_SCHED : CHOICE_KNOB, 2 + (uint64_t)i),
                     values[i], "draw %d", i);
    cr_assert_eq(replay.replay_mismatches, 0);
    cr_assert_eq(replay.replay_overruns, 0);
    /* Past the end: 0, counted. A kind that does not fit: value % range, counted. */
    cr_assert_eq(choice_draw(&replay, CHOICE_SCHED, 5), 0);
    cr_assert_eq(replay.replay_overruns, 1);
    choice_free(&seeded);
}

Test(choice, replay_mismatch_is_counted_and_kept_in_range)
{
    struct choice_record records[] = {{10, 9, CHOICE_SCHED}};
    struct choice_stream cs;
    choice_init_replay(&cs, records, 1);
    cr_assert_eq(choice_draw(&cs, CHOICE_FAULT, 4), 9 % 4);
    cr_assert_eq(cs.replay_mismatches, 1);
}

Test(choice, kind_letters_round_trip)
{
    for (int k = 0; k < CHOICE_KIND_COUNT; k++)
        cr_assert_eq(choice_kind_from_letter(choice_kind_letter((enum choice_kind)k)), k);
    cr_assert_eq(choice_kind_from_letter('z'), -1);
}
