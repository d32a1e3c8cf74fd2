/*
 * Soak: many sendCodes fired at once on one client through the C ABI, against a test DC
 * that injects faults on purpose (drop, delay, bad-salt, new-session, time-skew, corrupt,
 * forget-key, rpc-500, container, gzip). What a user sees is checked:
 *
 *   - nothing lost: every callback is called exactly once, within the client's timeout
 *     (20 s) and a margin;
 *   - nothing done twice: every number (one per request) got at most one code from the
 *     test DC, and a success carries the phone_code_hash of that one code. Checked for
 *     each fault alone; the mixed run only prints the count: with new-session (the DC
 *     drops a session with its memory of answers) or forget-key (a key with its
 *     sessions) mixed with faults that lose answers, a request the DC acted on is
 *     unknown to it when resent, under any msg_id; without those two, a few in 3,000
 *     are still done twice (not understood yet);
 *   - every failure is a classified error (never INTERNAL), and nearly all succeed: at
 *     least 99.5% with every fault mixed in, at least 99% with each fault alone at 20%.
 *
 * SOAK_REQUESTS sets the size of the mixed run (3000 by default; `make soak` runs 10000),
 * SOAK_FAULT_REQUESTS the size of each single-fault run (600 by default); SOAK_FAULTS
 * replaces the mix of the mixed run (a --faults spec).
 */
#include "harness.h"

#define SOAK_TIMEOUT_MS 20000
/* The phone numbers: 99966 2 YYYYYYY, homed on DC 2 (the client's home). */
#define SOAK_PHONE_BASE 2000000L
#define SOAK_HASH_MAX 128

typedef struct soak_slot {
    atomic_int calls;
    atomic_int ok;
    atomic_int result; /* tg_result of the error, when not ok */
    char hash[SOAK_HASH_MAX];
} soak_slot;

typedef struct soak_run {
    soak_slot *slots;
    h_counter done;
} soak_run;

/* At most this many in flight in a single-fault run: small messages, so the faults drawn
 * per client message hit often (fired all at once, 600 requests make a few containers).
 * Delay, drawn per answer, gets a wider window so its late answers do not serialise. */
#define SOAK_WINDOW 4
#define SOAK_WINDOW_DELAY 32

/* What one run saw. */
typedef struct soak_outcome {
    long requests;
    long ok;
    long lost;    /* callbacks not called exactly once */
    long twice;   /* numbers that got more than one code */
    long unbacked; /* successes whose hash is not the one code the DC sent */
    long internal; /* failures classified INTERNAL, or malformed callbacks */
    long by_result[16];
    long long faults;
    double seconds;
} soak_outcome;

typedef struct soak_call {
    soak_run *run;
    long index;
} soak_call;

static void soak_phone(long i, char *out, size_t size) {
    snprintf(out, size, "+99966%07ld", SOAK_PHONE_BASE + i);
}

static void soak_callback(void *user_data, const tg_sent_code *sent, const tg_error *error) {
    soak_call *call = user_data;
    soak_slot *slot = &call->run->slots[call->index];
    if (sent && !error) {
        /* The answer must be whole: a hash and the default type of a 99966 2 number. */
        if (sent->phone_code_hash && sent->phone_code_hash[0] && sent->type == TG_CODE_TYPE_APP) {
            snprintf(slot->hash, sizeof slot->hash, "%s", sent->phone_code_hash);
            atomic_store(&slot->ok, 1);
        } else {
            atomic_store(&slot->result, TG_RESULT_PROTOCOL);
        }
    } else if (error && !sent) {
        atomic_store(&slot->result, (int)error->result);
    } else {
        atomic_store(&slot->result, -1); /* both or neither: a contract violation */
    }
    atomic_fetch_add(&slot->calls, 1);
    h_counter *c = &call->run->done;
    pthread_mutex_lock(&c->lock);
    c->total++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* Fires `requests` sendCodes on one client against a test DC with `faults`: all at once,
 * or (`window` > 0) keeping at most `window` in flight. */
static soak_outcome soak(const char *faults, long requests, int window) {
    soak_outcome out;
    memset(&out, 0, sizeof out);
    out.requests = requests;
    out.lost = requests; /* until shown otherwise */
    char fields[512];
    snprintf(fields, sizeof fields, "\"code_limit\":0,\"faults\":\"%s\"", faults);
    testdc_info info;
    tg_testdc *dc = testdc_start_with(fields, &info);
    if (!dc) return out;
    soak_run run;
    run.slots = calloc((size_t)requests, sizeof(soak_slot));
    soak_call *calls = calloc((size_t)requests, sizeof(soak_call));
    if (!run.slots || !calls) abort();
    h_counter_init(&run.done);
    tg_config *config = testdc_config(&info, 2, false);
    tg_client *client = NULL;
    if (config && tg_config_set_timeout_ms(config, SOAK_TIMEOUT_MS) == TG_RESULT_OK)
        client = client_from(config);
    else
        tg_config_free(config);
    CHECK(client != NULL);
    double t0 = h_now();
    long fired = 0;
    for (long i = 0; client && i < requests; i++) {
        char phone[32];
        soak_phone(i, phone, sizeof phone);
        calls[i].run = &run;
        calls[i].index = i;
        if (window > 0 && h_counter_wait(&run.done, (int)(fired - window + 1),
                                         SOAK_TIMEOUT_MS + 15000) < fired - window + 1)
            break; /* a callback is overdue: counted as lost below */
        tg_result r = tg_send_code(client, phone, (int32_t)info.api_id, info.api_hash, NULL,
                                   soak_callback, &calls[i], NULL);
        CHECK_RC(r, TG_RESULT_OK);
        if (r == TG_RESULT_OK) fired++;
    }
    /* Every callback comes within the timeout (plus a margin for a loaded machine). */
    int seen = h_counter_wait(&run.done, (int)fired, SOAK_TIMEOUT_MS + 15000);
    out.seconds = h_now() - t0;
    CHECK_INT(seen, fired);
    out.lost = 0;
    for (long i = 0; i < requests; i++)
        if (atomic_load(&run.slots[i].calls) != 1) out.lost++;
    if (client) tg_client_free(client); /* a callback still owed would run here */

    for (long i = 0; i < requests; i++) {
        soak_slot *slot = &run.slots[i];
        char phone[32];
        soak_phone(i, phone, sizeof phone);
        kept_codes codes = testdc_codes(dc, phone);
        if (codes.count > 1) out.twice++;
        if (atomic_load(&slot->ok)) {
            out.ok++;
            if (codes.count != 1 || strcmp(codes.last.phone_code_hash, slot->hash) != 0)
                out.unbacked++;
        } else {
            int r = atomic_load(&slot->result);
            if (r <= 0 || r >= 16 || r == TG_RESULT_INTERNAL) out.internal++;
            if (r > 0 && r < 16) out.by_result[r]++;
        }
    }
    out.faults = testdc_stat(dc, "faults_injected");
    printf("soak [%s]: %ld requests in %.1f s: %ld succeeded, %ld lost, %ld done twice, "
           "%lld faults injected; failures:",
           faults, requests, out.seconds, out.ok, out.lost, out.twice, out.faults);
    for (int r = 0; r < 16; r++)
        if (out.by_result[r]) printf(" %s=%ld", tg_result_str((uint32_t)r), out.by_result[r]);
    printf("\n");
    h_counter_destroy(&run.done);
    free(calls);
    free(run.slots);
    tg_testdc_stop(dc);
    testdc_info_free(&info);
    return out;
}

/* The checks every run must pass; `per_mille` the least share that succeeds. `remembers`:
 * the test DC never forgets a session or key on purpose, so nothing may be done twice. */
static void soak_check(const soak_outcome *o, long per_mille, bool remembers) {
    CHECK_INT(o->lost, 0);
    if (remembers) {
        CHECK_INT(o->twice, 0);
        CHECK_INT(o->unbacked, 0);
    }
    CHECK_INT(o->internal, 0);
    CHECK(o->faults >= o->requests / 50);
    if (o->ok * 1000 < o->requests * per_mille)
        h_fail(__FILE__, __LINE__, "%ld of %ld succeeded: fewer than %ld.%ld%%", o->ok,
               o->requests, per_mille / 10, per_mille % 10);
}

static long env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    long n = v ? atol(v) : 0;
    return n > 0 ? n : fallback;
}

/* Every fault mixed in (about 50% of messages hit by one), every request fired at once. */
static void test_mixed_faults_at_once(void) {
    const char *mix = getenv("SOAK_FAULTS");
    if (!mix || !*mix)
        mix = "drop=0.03,delay=0.05,bad-salt=0.05,new-session=0.05,time-skew=0.03,corrupt=0.02,"
              "forget-key=0.01,rpc-500=0.03,container=0.1,gzip=0.1";
    soak_outcome o = soak(mix, env_long("SOAK_REQUESTS", 3000), 0);
    soak_check(&o, 995, false);
}

/* Each fault alone at 20% of messages, a few requests in flight at a time. */
static void test_each_fault_alone(void) {
    static const char *const faults[] = {"drop",    "delay",      "bad-salt", "new-session",
                                         "time-skew", "corrupt",  "forget-key", "rpc-500",
                                         "container", "gzip"};
    long requests = env_long("SOAK_FAULT_REQUESTS", 600);
    for (size_t f = 0; f < sizeof faults / sizeof faults[0]; f++) {
        char spec[64];
        snprintf(spec, sizeof spec, "%s=0.2", faults[f]);
        int window = strcmp(faults[f], "delay") == 0 ? SOAK_WINDOW_DELAY : SOAK_WINDOW;
        soak_outcome o = soak(spec, requests, window);
        /* Alone, a forgetting fault forgets nothing that was answered and lost. */
        soak_check(&o, 990, true);
    }
}

int main(int argc, char **argv) {
    static const h_test tests[] = {
        {"mixed_faults_at_once", test_mixed_faults_at_once},
        {"each_fault_alone", test_each_fault_alone},
    };
    return h_run(argc, argv, tests, sizeof tests / sizeof tests[0], 900);
}
