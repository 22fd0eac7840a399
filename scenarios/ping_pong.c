/* ping-pong — two tasks hand a token back and forth `rounds` times over two
 * semaphores. A core scenario: it has no bug to find; it exercises blocking and
 * waking on every step, and it is the scheduler's speed benchmark. */
#include "sim/sys.h"

static const struct config_key ping_pong_params[] = {
    {"rounds", CONFIG_UINT, 1000, 1, 1000000000ULL, "hand-offs in each direction"},
    {0},
};

struct table {
    int ball_at_ping; /* semaphore: ping may hit */
    int ball_at_pong; /* semaphore: pong may hit */
    uint64_t rounds;
    uint64_t hits[2];
};

static void player(struct table *table, int side)
{
    int mine = side == 0 ? table->ball_at_ping : table->ball_at_pong;
    int theirs = side == 0 ? table->ball_at_pong : table->ball_at_ping;
    for (uint64_t i = 0; i < table->rounds; i++) {
        sys_sem_wait((uint32_t)mine);
        table->hits[side]++;
        sys_check(table->hits[side] <= table->hits[!side] + 1,
                  "side %d hit %llu times, the other side only %llu", side,
                  (unsigned long long)table->hits[side],
                  (unsigned long long)table->hits[!side]);
        sys_sem_post((uint32_t)theirs);
    }
}

static void ping(void *arg) { player(arg, 0); }
static void pong(void *arg) { player(arg, 1); }

SCENARIO(ping_pong, "two tasks hand a token back and forth N times (rounds=N)",
         ping_pong_params)
{
    struct table table = {0};
    table.rounds = sys_param("rounds");
    table.ball_at_ping = sys_sem_create("ball-at-ping", 1);
    table.ball_at_pong = sys_sem_create("ball-at-pong", 0);
    sys_check(table.ball_at_ping > 0 && table.ball_at_pong > 0, "semaphores not created");
    int a = sys_spawn("ping", ping, &table);
    int b = sys_spawn("pong", pong, &table);
    sys_check(a > 0 && b > 0, "spawn failed");
    sys_wait((uint32_t)a, NULL);
    sys_wait((uint32_t)b, NULL);
    sys_check(table.hits[0] == table.rounds && table.hits[1] == table.rounds,
              "expected %llu hits each, got %llu and %llu", (unsigned long long)table.rounds,
              (unsigned long long)table.hits[0], (unsigned long long)table.hits[1]);
}
