/*
 * The misuse matrix of the login calls (tg_sign_in ... tg_client_signed_in), as
 * test_misuse.c is for tg_send_code: NULLs, bad UTF-8 and over-long strings refused at
 * once without a callback; cancelling before and after completion; a pending QR login
 * cancelled; the client freed inside a callback with every kind of login call in flight;
 * many threads at once. Every accepted call must call back exactly once.
 */
#include "login_harness.h"

static tg_testdc *g_dc;
static testdc_info g_info;

static const char BAD_UTF8[] = "abc\xc3\x28";
static const char PHONE[] = "+9996611100";
static const char HASH[] = "0123456789abcdef";

static atomic_int g_unexpected; /* callbacks of refused calls */

static void never_auth(void *u, const tg_authorization *a, const tg_error *e) {
    (void)u, (void)a, (void)e;
    atomic_fetch_add(&g_unexpected, 1);
}
static void never_done(void *u, const tg_error *e) {
    (void)u, (void)e;
    atomic_fetch_add(&g_unexpected, 1);
}
static void never_info(void *u, const tg_cloud_password *i, const tg_error *e) {
    (void)u, (void)i, (void)e;
    atomic_fetch_add(&g_unexpected, 1);
}
static void never_log_out(void *u, const tg_bytes *t, const tg_error *e) {
    (void)u, (void)t, (void)e;
    atomic_fetch_add(&g_unexpected, 1);
}
static void never_sent(void *u, const tg_sent_code *s, const tg_error *e) {
    (void)u, (void)s, (void)e;
    atomic_fetch_add(&g_unexpected, 1);
}
static void never_token(void *u, const char *url, int64_t expires) {
    (void)u, (void)url, (void)expires;
    atomic_fetch_add(&g_unexpected, 1);
}

static char *repeat(char c, size_t len) {
    char *s = malloc(len + 1);
    if (!s) abort();
    memset(s, c, len);
    s[len] = '\0';
    return s;
}

/* A client of the test DC that knows the app (as after a tg_send_code), so every call
 * reaches the DC. */
static tg_client *client_home(int home) {
    tg_config *config = testdc_config(&g_info, home, true);
    if (config) CHECK_RC(tg_config_set_app(config, g_info.api_id, g_info.api_hash), TG_RESULT_OK);
    return client_from(config);
}

/* A client whose only DC is the silent listener, knowing the app. */
static tg_client *silent_app_client(const silent_listener *l) {
    tg_config *config = NULL;
    if (tg_config_new(&config) != TG_RESULT_OK) return NULL;
    if (tg_config_add_dc(config, 1, "127.0.0.1", l->port) != TG_RESULT_OK ||
        tg_config_set_timeout_ms(config, 60000) != TG_RESULT_OK ||
        tg_config_set_app(config, g_info.api_id, g_info.api_hash) != TG_RESULT_OK) {
        tg_config_free(config);
        return NULL;
    }
    return client_from(config);
}

#define REFUSED(call) CHECK_RC((call), TG_RESULT_INVALID_ARGUMENT)

/* Every string argument of every call, given `bad` in turn (NULL, invalid UTF-8, too
 * long): each refused at once. Optional strings (last_name, reason) only when bad is not
 * NULL. */
static void refuse_each_string(tg_client *c, const char *bad) {
    const char *h = g_info.api_hash;
    int32_t a = g_info.api_id;
    uint64_t id = 0;
    REFUSED(tg_sign_in(c, bad, HASH, "11111", never_auth, NULL, &id));
    REFUSED(tg_sign_in(c, PHONE, bad, "11111", never_auth, NULL, &id));
    REFUSED(tg_sign_in(c, PHONE, HASH, bad, never_auth, NULL, &id));
    REFUSED(tg_sign_up(c, bad, HASH, "A", "B", never_auth, NULL, &id));
    REFUSED(tg_sign_up(c, PHONE, bad, "A", "B", never_auth, NULL, &id));
    REFUSED(tg_sign_up(c, PHONE, HASH, bad, "B", never_auth, NULL, &id));
    if (bad) REFUSED(tg_sign_up(c, PHONE, HASH, "A", bad, never_auth, NULL, &id));
    REFUSED(tg_check_password(c, bad, never_auth, NULL, &id));
    REFUSED(tg_sign_in_bot(c, bad, a, h, never_auth, NULL, &id));
    REFUSED(tg_sign_in_bot(c, "1:x", a, bad, never_auth, NULL, &id));
    REFUSED(tg_resend_code(c, bad, HASH, NULL, never_sent, NULL, &id));
    REFUSED(tg_resend_code(c, PHONE, bad, NULL, never_sent, NULL, &id));
    if (bad) REFUSED(tg_resend_code(c, PHONE, HASH, bad, never_sent, NULL, &id));
    REFUSED(tg_cancel_code(c, bad, HASH, never_done, NULL, &id));
    REFUSED(tg_cancel_code(c, PHONE, bad, never_done, NULL, &id));
    REFUSED(tg_qr_login(c, a, bad, 0, never_token, never_auth, NULL, &id));
    REFUSED(tg_accept_login_token(c, bad, never_done, NULL, &id));
}

static void test_null_pointers(void) {
    tg_client *c = client_home(1);
    REQUIRE(c);
    const char *h = g_info.api_hash;
    int32_t a = g_info.api_id;
    uint64_t id = 0;
    /* NULL client. */
    REFUSED(tg_sign_in(NULL, PHONE, HASH, "11111", never_auth, NULL, &id));
    REFUSED(tg_sign_up(NULL, PHONE, HASH, "A", "B", never_auth, NULL, &id));
    REFUSED(tg_check_password(NULL, "pw", never_auth, NULL, &id));
    REFUSED(tg_password_info(NULL, never_info, NULL, &id));
    REFUSED(tg_sign_in_bot(NULL, "1:x", a, h, never_auth, NULL, &id));
    REFUSED(tg_resend_code(NULL, PHONE, HASH, NULL, never_sent, NULL, &id));
    REFUSED(tg_cancel_code(NULL, PHONE, HASH, never_done, NULL, &id));
    REFUSED(tg_log_out(NULL, never_log_out, NULL, &id));
    REFUSED(tg_qr_login(NULL, a, h, 0, never_token, never_auth, NULL, &id));
    REFUSED(tg_accept_login_token(NULL, "tg://login?token=AAAA", never_done, NULL, &id));
    char *out = NULL;
    REFUSED(tg_client_export_session(NULL, TG_SESSION_FORMAT_TELETHON, &out));
    REFUSED(tg_client_export_session(c, TG_SESSION_FORMAT_TELETHON, NULL));
    CHECK(out == NULL);
    REFUSED(tg_client_signed_in(NULL, NULL, NULL));
    /* NULL callbacks. */
    REFUSED(tg_sign_in(c, PHONE, HASH, "11111", NULL, NULL, &id));
    REFUSED(tg_sign_up(c, PHONE, HASH, "A", "B", NULL, NULL, &id));
    REFUSED(tg_check_password(c, "pw", NULL, NULL, &id));
    REFUSED(tg_password_info(c, NULL, NULL, &id));
    REFUSED(tg_sign_in_bot(c, "1:x", a, h, NULL, NULL, &id));
    REFUSED(tg_resend_code(c, PHONE, HASH, NULL, NULL, NULL, &id));
    REFUSED(tg_cancel_code(c, PHONE, HASH, NULL, NULL, &id));
    REFUSED(tg_log_out(c, NULL, NULL, &id));
    REFUSED(tg_qr_login(c, a, h, 0, NULL, never_auth, NULL, &id));
    REFUSED(tg_qr_login(c, a, h, 0, never_token, NULL, NULL, &id));
    REFUSED(tg_accept_login_token(c, "tg://login?token=AAAA", NULL, NULL, &id));
    /* NULL strings. */
    refuse_each_string(c, NULL);
    /* Half an app, or a bad one. */
    REFUSED(tg_sign_in_bot(c, "1:x", a, NULL, never_auth, NULL, &id));
    REFUSED(tg_sign_in_bot(c, "1:x", 0, h, never_auth, NULL, &id));
    REFUSED(tg_sign_in_bot(c, "1:x", -5, h, never_auth, NULL, &id));
    REFUSED(tg_qr_login(c, a, NULL, 0, never_token, never_auth, NULL, &id));
    REFUSED(tg_qr_login(c, -1, h, 0, never_token, never_auth, NULL, &id));
    /* No app at all: refused at once. */
    tg_client *no_app = client_from(testdc_config(&g_info, 1, true));
    REQUIRE(no_app);
    REFUSED(tg_sign_in_bot(no_app, "1:x", 0, NULL, never_auth, NULL, &id));
    REFUSED(tg_qr_login(no_app, 0, NULL, 0, never_token, never_auth, NULL, &id));
    tg_client_free(no_app);
    /* Empty phone numbers and hashes, malformed login tokens. */
    REFUSED(tg_sign_in(c, "", HASH, "11111", never_auth, NULL, &id));
    REFUSED(tg_sign_in(c, PHONE, " ", "11111", never_auth, NULL, &id));
    REFUSED(tg_cancel_code(c, PHONE, "", never_done, NULL, &id));
    REFUSED(tg_accept_login_token(c, "", never_done, NULL, &id));
    REFUSED(tg_accept_login_token(c, "tg://login?token=", never_done, NULL, &id));
    REFUSED(tg_accept_login_token(c, "not a token!", never_done, NULL, &id));
    /* Queries with NULL outs are fine. */
    CHECK_RC(tg_client_signed_in(c, NULL, NULL), TG_RESULT_SESSION);
    tg_client_free(c);
    CHECK_INT(atomic_load(&g_unexpected), 0);
}

static void test_invalid_utf8(void) {
    tg_client *c = client_home(1);
    REQUIRE(c);
    refuse_each_string(c, BAD_UTF8);
    refuse_each_string(c, "\xc0\x80"); /* an overlong NUL */
    tg_client_free(c);
    CHECK_INT(atomic_load(&g_unexpected), 0);
}

static void test_over_long_strings(void) {
    tg_client *c = client_home(1);
    REQUIRE(c);
    char *huge = repeat('1', 1 << 20);
    refuse_each_string(c, huge);
    free(huge);
    /* Just past each limit. */
    char *phone = repeat('1', 65), *hash = repeat('a', 257), *code = repeat('1', 257),
         *secret = repeat('s', 4097);
    uint64_t id = 0;
    REFUSED(tg_sign_in(c, phone, HASH, "1", never_auth, NULL, &id));
    REFUSED(tg_sign_in(c, PHONE, hash, "1", never_auth, NULL, &id));
    REFUSED(tg_sign_in(c, PHONE, HASH, code, never_auth, NULL, &id));
    REFUSED(tg_sign_up(c, PHONE, HASH, code, NULL, never_auth, NULL, &id));
    REFUSED(tg_check_password(c, secret, never_auth, NULL, &id));
    REFUSED(tg_sign_in_bot(c, secret, g_info.api_id, g_info.api_hash, never_auth, NULL, &id));
    REFUSED(tg_accept_login_token(c, secret, never_done, NULL, &id));
    free(phone);
    free(hash);
    free(code);
    free(secret);
    tg_client_free(c);
    CHECK_INT(atomic_load(&g_unexpected), 0);
}

/* --- cancelling ------------------------------------------------------------------------ */

static void test_cancel_after_completion(void) {
    tg_client *c = client_home(1);
    REQUIRE(c);
    login_outcome o = sign_in_sync(c, PHONE, HASH, "11111"); /* a hash never issued */
    CHECK_DONE(o);
    CHECK_RC(o.result, TG_RESULT_RPC);
    CHECK_RC(tg_cancel(c, o.request_id), TG_RESULT_NOT_FOUND); /* harmless */
    o = password_info_sync(c);
    CHECK_DONE(o);
    CHECK_RC(tg_cancel(c, o.request_id), TG_RESULT_NOT_FOUND);
    tg_client_free(c);
}

static void test_cancel_pending_qr(void) {
    tg_client *c = client_home(1);
    REQUIRE(c);
    tg_result rc;
    uint64_t id = 0;
    login_state *s = qr_login_start(c, g_info.api_id, g_info.api_hash, 0, &rc, &id);
    CHECK_RC(rc, TG_RESULT_OK);
    char url[512];
    CHECK(rc == TG_RESULT_OK && l_wait_token(s, 1, L_WAIT_MS, url, sizeof url));
    CHECK_RC(tg_cancel(c, id), TG_RESULT_OK);
    CHECK_RC(tg_cancel(c, id), TG_RESULT_NOT_FOUND);
    login_outcome o = l_end(s, rc, id, L_WAIT_MS);
    CHECK_DONE(o);
    CHECK_RC(o.result, TG_RESULT_CANCELLED);
    CHECK(o.tokens >= 1);
    CHECK_INT(o.tokens_after_final, 0);
    CHECK_RC(tg_cancel(c, id), TG_RESULT_NOT_FOUND);
    tg_client_free(c);
}

/* --- every kind of call in flight; the client freed inside a callback ------------------- */

typedef struct pending {
    h_counter *counter;
    atomic_int calls, result, tokens_after;
    atomic_bool final;
    tg_client *free_me; /* the one callback that frees the client */
} pending;

static void p_count(pending *p, const tg_error *e) {
    if (p->free_me) tg_client_free(p->free_me);
    atomic_store(&p->result, e ? (int)e->result : (int)TG_RESULT_OK);
    atomic_store(&p->final, true);
    atomic_fetch_add(&p->calls, 1);
    pthread_mutex_lock(&p->counter->lock);
    p->counter->total++;
    pthread_cond_broadcast(&p->counter->cond);
    pthread_mutex_unlock(&p->counter->lock);
}
static void p_auth(void *u, const tg_authorization *a, const tg_error *e) {
    (void)a;
    p_count(u, e);
}
static void p_done(void *u, const tg_error *e) { p_count(u, e); }
static void p_info(void *u, const tg_cloud_password *i, const tg_error *e) {
    (void)i;
    p_count(u, e);
}
static void p_log_out(void *u, const tg_bytes *t, const tg_error *e) {
    (void)t;
    p_count(u, e);
}
static void p_sent(void *u, const tg_sent_code *s, const tg_error *e) {
    (void)s;
    p_count(u, e);
}
static void p_token(void *u, const char *url, int64_t expires) {
    pending *p = u;
    (void)url, (void)expires;
    if (atomic_load(&p->final)) atomic_fetch_add(&p->tokens_after, 1);
}

enum { KINDS = 11 };

/* Starts call `kind` (0..KINDS-1) with pending p; returns its tg_result. */
static tg_result start_kind(tg_client *c, int kind, pending *p, uint64_t *id) {
    const char *h = g_info.api_hash;
    int32_t a = g_info.api_id;
    switch (kind) {
    case 0: return tg_sign_in(c, PHONE, HASH, "11111", p_auth, p, id);
    case 1: return tg_sign_up(c, PHONE, HASH, "A", NULL, p_auth, p, id);
    case 2: return tg_check_password(c, "secret", p_auth, p, id);
    case 3: return tg_password_info(c, p_info, p, id);
    case 4: return tg_sign_in_bot(c, "1:x", a, h, p_auth, p, id);
    case 5: return tg_resend_code(c, PHONE, HASH, "never came", p_sent, p, id);
    case 6: return tg_cancel_code(c, PHONE, HASH, p_done, p, id);
    case 7: return tg_log_out(c, p_log_out, p, id);
    case 8: return tg_qr_login(c, a, h, 0, p_token, p_auth, p, id);
    case 9: return tg_accept_login_token(c, "tg://login?token=AAAAAAAA", p_done, p, id);
    default: return tg_send_code(c, PHONE, a, h, NULL, p_sent, p, id);
    }
}

static void test_free_inside_callback(void) {
    /* Every kind of call hangs on a silent DC; cancelling one more frees the client from
     * its callback, which cancels the rest: each is called back once, CANCELLED. */
    silent_listener l;
    REQUIRE(silent_start(&l));
    tg_client *c = silent_app_client(&l);
    REQUIRE(c);
    h_counter counter;
    h_counter_init(&counter);
    static pending p[KINDS + 1];
    memset(p, 0, sizeof p);
    for (int k = 0; k <= KINDS; k++) p[k].counter = &counter;
    for (int k = 0; k < KINDS; k++) CHECK_RC(start_kind(c, k, &p[k], NULL), TG_RESULT_OK);
    p[KINDS].free_me = c;
    uint64_t id = 0;
    CHECK_RC(start_kind(c, 3, &p[KINDS], &id), TG_RESULT_OK);
    h_sleep_ms(50);
    CHECK_RC(tg_cancel(c, id), TG_RESULT_OK);
    /* The client is gone once that callback runs. */
    CHECK_INT(h_counter_wait(&counter, KINDS + 1, 5000), KINDS + 1);
    h_sleep_ms(100);
    CHECK_INT(h_counter_wait(&counter, KINDS + 2, 0), KINDS + 1);
    for (int k = 0; k <= KINDS; k++) {
        CHECK_INT(atomic_load(&p[k].calls), 1);
        CHECK_RC(atomic_load(&p[k].result), TG_RESULT_CANCELLED);
        CHECK_INT(atomic_load(&p[k].tokens_after), 0);
    }
    h_counter_destroy(&counter);
    silent_stop(&l);
}

static void test_free_with_calls_in_flight(void) {
    /* Against the real test DC: free while every kind of call is on its way. */
    tg_client *c = client_home(1);
    REQUIRE(c);
    h_counter counter;
    h_counter_init(&counter);
    static pending p[KINDS];
    memset(p, 0, sizeof p);
    for (int k = 0; k < KINDS; k++) {
        p[k].counter = &counter;
        CHECK_RC(start_kind(c, k, &p[k], NULL), TG_RESULT_OK);
    }
    tg_client_free(c); /* returns after every callback returned */
    CHECK_INT(h_counter_wait(&counter, KINDS + 1, 0), KINDS);
    for (int k = 0; k < KINDS; k++) {
        CHECK_INT(atomic_load(&p[k].calls), 1);
        CHECK_INT(atomic_load(&p[k].tokens_after), 0);
    }
    h_counter_destroy(&counter);
}

/* --- many threads at once ------------------------------------------------------------------ */

enum { THREADS = 8, PER_THREAD = 33 };

typedef struct thread_ctx {
    tg_client *client;
    h_counter *counter;
    pending p[PER_THREAD];
    int refused, query_failures;
} thread_ctx;

static void *caller_thread(void *arg) {
    thread_ctx *t = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        t->p[i].counter = t->counter;
        uint64_t id = 0;
        /* The QR login waits long: cancel each; cancel some others too. */
        int kind = i % KINDS;
        if (start_kind(t->client, kind, &t->p[i], &id) != TG_RESULT_OK) {
            t->refused++;
            continue;
        }
        if (kind == 8 || i % 4 == 0) {
            tg_result r = tg_cancel(t->client, id);
            if (r != TG_RESULT_OK && r != TG_RESULT_NOT_FOUND) t->refused++;
        }
        if (tg_client_signed_in(t->client, NULL, NULL) != TG_RESULT_SESSION) t->query_failures++;
        char *out = NULL;
        tg_result r = tg_client_export_session(t->client, TG_SESSION_FORMAT_GRAMJS, &out);
        if (r != TG_RESULT_OK && r != TG_RESULT_SESSION) t->query_failures++;
        tg_string_free(out);
    }
    return NULL;
}

static void test_many_threads(void) {
    tg_client *c = client_home(1);
    REQUIRE(c);
    h_counter counter;
    h_counter_init(&counter);
    static thread_ctx ctx[THREADS];
    memset(ctx, 0, sizeof ctx);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        ctx[t].client = c;
        ctx[t].counter = &counter;
        CHECK(pthread_create(&threads[t], NULL, caller_thread, &ctx[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    CHECK_INT(h_counter_wait(&counter, THREADS * PER_THREAD, L_WAIT_MS), THREADS * PER_THREAD);
    tg_client_free(c);
    CHECK_INT(h_counter_wait(&counter, THREADS * PER_THREAD + 1, 0), THREADS * PER_THREAD);
    for (int t = 0; t < THREADS; t++) {
        CHECK_INT(ctx[t].refused, 0);
        CHECK_INT(ctx[t].query_failures, 0);
        int bad = 0;
        for (int i = 0; i < PER_THREAD; i++)
            if (atomic_load(&ctx[t].p[i].calls) != 1 || atomic_load(&ctx[t].p[i].tokens_after))
                bad++;
        CHECK_INT(bad, 0);
    }
    h_counter_destroy(&counter);
}

int main(int argc, char **argv) {
    static const h_test tests[] = {
        {"null_pointers", test_null_pointers},
        {"invalid_utf8", test_invalid_utf8},
        {"over_long_strings", test_over_long_strings},
        {"cancel_after_completion", test_cancel_after_completion},
        {"cancel_pending_qr", test_cancel_pending_qr},
        {"free_inside_callback", test_free_inside_callback},
        {"free_with_calls_in_flight", test_free_with_calls_in_flight},
        {"many_threads", test_many_threads},
    };
    g_dc = testdc_start_with("\"dcs\":3,\"code_limit\":0", &g_info);
    if (!g_dc) {
        printf("[ RUN  ] testdc_start\n[ FAIL ] testdc_start\n");
        return 1;
    }
    int rc = h_run(argc, argv, tests, sizeof tests / sizeof tests[0], 240);
    tg_testdc_stop(g_dc);
    testdc_info_free(&g_info);
    return rc;
}
