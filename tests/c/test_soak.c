/*
 * Soak: many sendCodes on a few clients through the C ABI, against a test DC that injects
 * every fault (drop, delay, bad-salt, new-session, time-skew, corrupt, forget-key,
 * rpc-500, container, gzip) at about 20% per message in all. Every callback must be
 * called exactly once, every outcome must be a code or a classified error (never
 * INTERNAL), at least 95% must succeed after the client's own retries, and nothing may
 * leak (LeakSanitizer runs at exit under run.sh).
 *
 * SOAK_REQUESTS sets the size (default 1000 in `make test`; `make soak` runs 10000).
 */
#include "harness.h"

#include <semaphore.h>

#define SOAK_CLIENTS 4
#define SOAK_IN_FLIGHT 64 /* per client, at most */

typedef struct soak_slot {
    atomic_int calls;
    atomic_int ok;
    atomic_int result; /* tg_result of the error, when not ok */
} soak_slot;

typedef struct soak_state {
    soak_slot *slots;
    sem_t window[SOAK_CLIENTS];
} soak_state;

static soak_state g_soak;

static void soak_callback(void *user_data, const tg_sent_code *sent, const tg_error *error) {
    size_t i = (size_t)(uintptr_t)user_data;
    soak_slot *slot = &g_soak.slots[i];
    if (sent && !error) {
        /* The answer must be whole: a hash and the default type of a 99966 2 number. */
        if (sent->phone_code_hash && sent->phone_code_hash[0] && sent->type == TG_CODE_TYPE_APP)
            atomic_store(&slot->ok, 1);
        else
            atomic_store(&slot->result, TG_RESULT_PROTOCOL);
    } else if (error && !sent) {
        atomic_store(&slot->result, (int)error->result);
    } else {
        atomic_store(&slot->result, -1); /* both or neither: a contract violation */
    }
    atomic_fetch_add(&slot->calls, 1);
    sem_post(&g_soak.window[i % SOAK_CLIENTS]);
}

static void test_soak_with_faults(void) {
    const char *env = getenv("SOAK_REQUESTS");
    long requests = env ? atol(env) : 1000;
    if (requests < SOAK_CLIENTS) requests = SOAK_CLIENTS;
    testdc_info info;
    tg_testdc *dc = testdc_start_with(
        "\"code_limit\":0,\"faults\":\"drop=0.02,delay=0.03,bad-salt=0.02,new-session=0.02,"
        "time-skew=0.02,corrupt=0.02,forget-key=0.01,rpc-500=0.02,container=0.02,gzip=0.02\"",
        &info);
    REQUIRE(dc);
    g_soak.slots = calloc((size_t)requests, sizeof(soak_slot));
    REQUIRE(g_soak.slots);
    tg_client *clients[SOAK_CLIENTS];
    for (int c = 0; c < SOAK_CLIENTS; c++) {
        tg_config *config = testdc_config(&info, 2, false);
        REQUIRE(config);
        CHECK_RC(tg_config_set_timeout_ms(config, 30000), TG_RESULT_OK);
        clients[c] = client_from(config);
        REQUIRE(clients[c]);
        sem_init(&g_soak.window[c], 0, SOAK_IN_FLIGHT);
    }
    for (long i = 0; i < requests; i++) {
        int c = (int)(i % SOAK_CLIENTS);
        char phone[32];
        snprintf(phone, sizeof phone, "+99966%07ld", 2000000 + i % 1000000);
        while (sem_wait(&g_soak.window[c]) != 0 && errno == EINTR) {
        }
        tg_result r = tg_send_code(clients[c], phone, (int32_t)info.api_id, info.api_hash, NULL,
                                   soak_callback, (void *)(uintptr_t)i, NULL);
        CHECK_RC(r, TG_RESULT_OK);
        if (r != TG_RESULT_OK) sem_post(&g_soak.window[c]);
    }
    /* Wait for every answer: each callback gives its window slot back. */
    for (int c = 0; c < SOAK_CLIENTS; c++)
        for (int k = 0; k < SOAK_IN_FLIGHT; k++)
            while (sem_wait(&g_soak.window[c]) != 0 && errno == EINTR) {
            }
    for (int c = 0; c < SOAK_CLIENTS; c++) tg_client_free(clients[c]);

    long ok = 0, once = 0, by_result[16] = {0};
    for (long i = 0; i < requests; i++) {
        int calls = atomic_load(&g_soak.slots[i].calls);
        if (calls == 1) once++;
        if (atomic_load(&g_soak.slots[i].ok)) {
            ok++;
        } else {
            int r = atomic_load(&g_soak.slots[i].result);
            CHECK(r > 0 && r < 16);
            CHECK(r != TG_RESULT_INTERNAL);
            if (r > 0 && r < 16) by_result[r]++;
        }
    }
    printf("soak: %ld requests, %ld succeeded, %lld faults injected; failures:", requests, ok,
           testdc_stat(dc, "faults_injected"));
    for (int r = 0; r < 16; r++)
        if (by_result[r]) printf(" %s=%ld", tg_result_str((uint32_t)r), by_result[r]);
    printf("\n");
    CHECK_INT(once, requests);
    CHECK(ok * 100 >= requests * 95);
    CHECK(testdc_stat(dc, "faults_injected") > requests / 20);
    for (int c = 0; c < SOAK_CLIENTS; c++) sem_destroy(&g_soak.window[c]);
    free(g_soak.slots);
    tg_testdc_stop(dc);
    testdc_info_free(&info);
}

int main(int argc, char **argv) {
    static const h_test tests[] = {
        {"soak_with_faults", test_soak_with_faults},
    };
    return h_run(argc, argv, tests, sizeof tests / sizeof tests[0], 600);
}
