/*
 * tg_send_code against the in-process test DC (behaviour fixed by TESTDC.md) and against
 * a local listener that never answers: results, errors, migrations, flood waits, key
 * resets, timeouts, cancellation, freeing with requests in flight, session files, load.
 */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

/* Shared by most tests: 3 DCs, no code limit. Started once in main. */
static tg_testdc *g_dc;
static testdc_info g_info;

#define WAIT_MS 15000 /* generous: the default request timeout is 10 s */

static tg_client *client_home(int home, bool all_dcs) {
    return client_from(testdc_config(&g_info, home, all_dcs));
}

static send_result send_g(tg_client *client, const char *phone) {
    return send_code_sync(client, phone, g_info.api_id, g_info.api_hash, NULL, WAIT_MS);
}

/* The answer every 99966X number gets by default, checked against the DC's own record. */
static void check_default_code(const tg_testdc *dc, const send_result *res, const char *phone,
                               int want_dc, const char *want_code) {
    CHECK_COMPLETED(*res);
    CHECK(res->out.ok);
    if (!res->out.ok) {
        fprintf(stderr, "  %s: error %s %d %s: %s\n", phone, tg_result_str(res->out.result),
                res->out.code, res->out.name, res->out.message);
        return;
    }
    CHECK_INT(res->out.kind, TG_SENT_CODE_KIND_CODE);
    CHECK_INT(res->out.type, TG_CODE_TYPE_APP);
    CHECK_STR(tg_code_type_str(res->out.type), "app");
    CHECK_INT(res->out.length, 5);
    CHECK_INT(res->out.next_type, TG_CODE_TYPE_SMS);
    CHECK_STR(tg_code_type_str(res->out.next_type), "sms");
    CHECK_INT(res->out.timeout, 60);
    CHECK(strlen(res->out.phone_code_hash) > 0);
    kept_codes codes = testdc_codes(dc, phone);
    CHECK(codes.count >= 1);
    CHECK_STR(codes.last.phone_code_hash, res->out.phone_code_hash);
    CHECK_INT(codes.last.dc, want_dc);
    if (want_code) CHECK_STR(codes.last.code, want_code);
}

/* ------------------------------------------------------------------------------------ */

static void test_info_json(void) {
    CHECK_INT(g_info.ndcs, 3);
    for (int i = 0; i < g_info.ndcs; i++) {
        CHECK_INT(g_info.dc_id[i], i + 1);
        CHECK(g_info.port[i] > 0 && g_info.port[i] < 65536);
        CHECK_STR(g_info.host[i], "127.0.0.1");
    }
    CHECK(g_info.api_id > 0);
    CHECK_INT(strlen(g_info.api_hash), 32);
    CHECK(strstr(g_info.rsa_public_key, "-----END RSA PUBLIC KEY-----") != NULL);
    /* Owned by the test DC: the same pointer every time. */
    CHECK(tg_testdc_info_json(g_dc) == tg_testdc_info_json(g_dc));
    char *stats = NULL;
    CHECK_RC(tg_testdc_stats_json(g_dc, &stats), TG_RESULT_OK);
    REQUIRE(stats != NULL);
    const char *end = stats + strlen(stats);
    long long v;
    CHECK(json_int(stats, end, "auth_keys_created", &v));
    CHECK(json_int(stats, end, "connections", &v));
    CHECK(json_int(stats, end, "send_code_calls", &v));
    tg_string_free(stats);
    /* No codes for a number nobody asked for: an empty array. */
    kept_codes none = testdc_codes(g_dc, "+9996619999");
    CHECK_INT(none.count, 0);
}

static void test_success_on_each_dc(void) {
    static const char *const phones[] = {"+9996610001", "+9996620001", "+9996630001"};
    static const char *const want[] = {"11111", "22222", "33333"};
    for (int x = 1; x <= 3; x++) {
        /* Only DC x is configured, and it is home: the number belongs there. */
        tg_client *client = client_home(x, false);
        REQUIRE(client);
        long long calls0 = testdc_stat(g_dc, "send_code_calls");
        send_result res = send_g(client, phones[x - 1]);
        check_default_code(g_dc, &res, phones[x - 1], x, want[x - 1]);
        CHECK_INT(testdc_stat(g_dc, "send_code_calls") - calls0, 1); /* no migration */
        tg_client_free(client);
    }
}

static void test_phone_number_formats(void) {
    /* '+', spaces, '-', '(' and ')' are ignored by the DC; the codes are kept by digits. */
    tg_client *client = client_home(1, true);
    REQUIRE(client);
    send_result res = send_g(client, "+999 (661) 00-02");
    check_default_code(g_dc, &res, "9996610002", 1, "11111");
    tg_client_free(client);
}

static void test_phone_migration(void) {
    /* Only DC 1 is known: the client must learn DC 2 (help.getConfig) and go there. */
    tg_client *client = client_home(1, false);
    REQUIRE(client);
    long long calls0 = testdc_stat(g_dc, "send_code_calls");
    long long keys0 = testdc_stat(g_dc, "auth_keys_created");
    send_result res = send_g(client, "+9996620002");
    check_default_code(g_dc, &res, "+9996620002", 2, "22222");
    /* DC 1 answered 303 PHONE_MIGRATE_2 (never surfaced), DC 2 the code. */
    CHECK_INT(testdc_stat(g_dc, "send_code_calls") - calls0, 2);
    CHECK_INT(testdc_stat(g_dc, "auth_keys_created") - keys0, 2);
    /* DC 2 is home now: the next number of DC 2 goes straight there. */
    calls0 = testdc_stat(g_dc, "send_code_calls");
    res = send_g(client, "+9996620003");
    check_default_code(g_dc, &res, "+9996620003", 2, "22222");
    CHECK_INT(testdc_stat(g_dc, "send_code_calls") - calls0, 1);
    /* And back to DC 1 for a DC 1 number (its key is reused). */
    keys0 = testdc_stat(g_dc, "auth_keys_created");
    res = send_g(client, "+9996610003");
    check_default_code(g_dc, &res, "+9996610003", 1, "11111");
    CHECK_INT(testdc_stat(g_dc, "auth_keys_created") - keys0, 0);
    tg_client_free(client);
}

static void test_phone_migration_known_dcs(void) {
    tg_client *client = client_home(1, true);
    REQUIRE(client);
    send_result res = send_g(client, "+9996630002");
    check_default_code(g_dc, &res, "+9996630002", 3, "33333");
    /* Any other valid number is homed on DC 2. */
    res = send_g(client, "+15551234567");
    check_default_code(g_dc, &res, "+15551234567", 2, NULL);
    tg_client_free(client);
}

static void test_network_migration(void) {
    /* 9997710...: 303 NETWORK_MIGRATE_3 anywhere but the last DC, which sends the code. */
    tg_client *client = client_home(1, false);
    REQUIRE(client);
    send_result res = send_g(client, "+9997710001");
    check_default_code(g_dc, &res, "+9997710001", 3, NULL);
    tg_client_free(client);
}

static void test_reserved_errors(void) {
    static const struct {
        const char *phone;
        int32_t code;
        const char *name;
        int64_t value;
    } cases[] = {
        {"+9997701001", 400, "PHONE_NUMBER_BANNED", -1},
        {"+9997702001", 400, "PHONE_NUMBER_FLOOD", -1},
        {"+9997703001", 406, "PHONE_PASSWORD_FLOOD", -1},
        {"+9997704001", 400, "PHONE_NUMBER_APP_SIGNUP_FORBIDDEN", -1},
        {"+9997705001", 400, "SMS_CODE_CREATE_FAILED", -1},
        {"+9997706001", 400, "PHONE_PASSWORD_PROTECTED", -1},
        {"+9997707001", 420, "FLOOD_WAIT", 2},
        {"+9997708001", 406, "UPDATE_APP_TO_LOGIN", -1},
    };
    /* Threshold 0: FLOOD_WAIT is returned at once (sleeping through it is tested below). */
    tg_config *config = testdc_config(&g_info, 1, true);
    REQUIRE(config);
    CHECK_RC(tg_config_set_flood_sleep_threshold(config, 0), TG_RESULT_OK);
    tg_client *client = client_from(config);
    REQUIRE(client);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        send_result res = send_g(client, cases[i].phone);
        if (res.out.ok || strcmp(res.out.name, cases[i].name) != 0)
            fprintf(stderr, "  %s: got %s %d %s\n", cases[i].phone,
                    tg_result_str(res.out.result), res.out.code, res.out.name);
        CHECK_RPC(res, cases[i].code, cases[i].name, cases[i].value);
    }
    tg_client_free(client);
    /* "same on any DC": also from DC 3 as home. */
    config = testdc_config(&g_info, 3, true);
    REQUIRE(config);
    CHECK_RC(tg_config_set_flood_sleep_threshold(config, 0), TG_RESULT_OK);
    client = client_from(config);
    REQUIRE(client);
    send_result res = send_g(client, "+9997701002");
    CHECK_RPC(res, 400, "PHONE_NUMBER_BANNED", -1);
    tg_client_free(client);
}

static void test_invalid_number(void) {
    tg_client *client = client_home(2, true);
    REQUIRE(client);
    static const char *const bad[] = {"+123456", "1234567890123456", "+99966a1234", "9996621234x",
                                      "+999\t6621234"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        send_result res = send_g(client, bad[i]);
        CHECK_RPC(res, 406, "PHONE_NUMBER_INVALID", -1);
    }
    tg_client_free(client);
}

static void test_wrong_api(void) {
    tg_client *client = client_home(1, true);
    REQUIRE(client);
    send_result res = send_code_sync(client, "+9996610004", g_info.api_id,
                                     "00000000000000000000000000000000", NULL, WAIT_MS);
    CHECK_RPC(res, 400, "API_ID_INVALID", -1);
    res = send_code_sync(client, "+9996610004", g_info.api_id + 1, g_info.api_hash, NULL,
                         WAIT_MS);
    CHECK_RPC(res, 400, "API_ID_INVALID", -1);
    /* Nothing was sent to that number. */
    CHECK_INT(testdc_codes(g_dc, "+9996610004").count, 0);
    tg_client_free(client);
}

static void test_flood_wait_slept_through(void) {
    /* Default threshold (60 s): FLOOD_WAIT_2 is slept through once, then returned. */
    tg_client *client = client_home(1, true);
    REQUIRE(client);
    long long calls0 = testdc_stat(g_dc, "send_code_calls");
    send_result res = send_g(client, "+9997707002");
    CHECK_RPC(res, 420, "FLOOD_WAIT", 2);
    CHECK(res.out.elapsed >= 2.0);
    CHECK(res.out.elapsed < 6.0);
    CHECK_INT(testdc_stat(g_dc, "send_code_calls") - calls0, 2); /* asked twice, slept once */
    tg_client_free(client);
}

static void test_flood_wait_returned(void) {
    tg_config *config = testdc_config(&g_info, 1, true);
    REQUIRE(config);
    CHECK_RC(tg_config_set_flood_sleep_threshold(config, 0), TG_RESULT_OK);
    tg_client *client = client_from(config);
    REQUIRE(client);
    /* Warm up the connection so the timing below is the request's alone. */
    send_result res = send_g(client, "+9996610005");
    CHECK(res.out.ok);
    res = send_g(client, "+9997707003");
    CHECK_RPC(res, 420, "FLOOD_WAIT", 2);
    CHECK(res.out.elapsed < 1.5);
    /* A threshold of 1 s is below the 2 s asked: returned too. */
    tg_client_free(client);
    config = testdc_config(&g_info, 1, true);
    REQUIRE(config);
    CHECK_RC(tg_config_set_flood_sleep_threshold(config, 1), TG_RESULT_OK);
    client = client_from(config);
    REQUIRE(client);
    res = send_g(client, "+9997707004");
    CHECK_RPC(res, 420, "FLOOD_WAIT", 2);
    CHECK(res.out.elapsed < 1.5);
    tg_client_free(client);
}

static void test_auth_restart(void) {
    /* 500 AUTH_RESTART the first time in a session, then the code: the client retries. */
    tg_client *client = client_home(1, true);
    REQUIRE(client);
    long long calls0 = testdc_stat(g_dc, "send_code_calls");
    send_result res = send_g(client, "+9997709001");
    CHECK_COMPLETED(res);
    CHECK(res.out.ok);
    CHECK_INT(res.out.kind, TG_SENT_CODE_KIND_CODE);
    CHECK_INT(testdc_stat(g_dc, "send_code_calls") - calls0, 2);
    kept_codes codes = testdc_codes(g_dc, "+9997709001");
    CHECK_INT(codes.count, 1);
    CHECK_STR(codes.last.phone_code_hash, res.out.phone_code_hash);
    tg_client_free(client);
}

static void test_auth_key_duplicated(void) {
    tg_client *client = client_home(1, true);
    REQUIRE(client);
    send_result res = send_g(client, "+9996610006"); /* makes the client's key on DC 1 */
    CHECK(res.out.ok);
    long long keys0 = testdc_stat(g_dc, "auth_keys_created");
    res = send_g(client, "+9997711001");
    CHECK_RPC(res, 406, "AUTH_KEY_DUPLICATED", -1);
    long long keys1 = testdc_stat(g_dc, "auth_keys_created");
    CHECK(keys1 >= keys0);
    /* The DC forgot the key; the same client goes on with a new one. */
    res = send_g(client, "+9996610007");
    CHECK_COMPLETED(res);
    CHECK(res.out.ok);
    check_default_code(g_dc, &res, "+9996610007", 1, "11111");
    CHECK(testdc_stat(g_dc, "auth_keys_created") > keys1);
    tg_client_free(client);
}

static void test_code_limit_and_single_dc(void) {
    /* Default options but one DC: default code limit (5 an hour), any number on DC 1. */
    testdc_info info;
    tg_testdc *dc = testdc_start_with("\"dcs\":1", &info);
    REQUIRE(dc);
    CHECK_INT(info.ndcs, 1);
    tg_client *client = client_from(testdc_config(&info, 1, true));
    if (client) {
        for (int i = 0; i < 5; i++) {
            send_result res = send_code_sync(client, "+15550001111", info.api_id, info.api_hash,
                                             NULL, WAIT_MS);
            CHECK_COMPLETED(res);
            CHECK(res.out.ok);
            kept_codes codes = testdc_codes(dc, "15550001111");
            CHECK_INT(codes.count, i + 1);
            CHECK_INT(codes.last.dc, 1);
            CHECK_STR(codes.last.phone_code_hash, res.out.phone_code_hash);
        }
        /* The sixth within the hour: FLOOD_WAIT of about an hour, far over the threshold,
         * so it is returned at once. */
        send_result res = send_code_sync(client, "+15550001111", info.api_id, info.api_hash,
                                         NULL, WAIT_MS);
        CHECK_COMPLETED(res);
        CHECK_RC(res.out.result, TG_RESULT_RPC);
        CHECK_INT(res.out.code, 420);
        CHECK_STR(res.out.name, "FLOOD_WAIT");
        CHECK(res.out.value > 3500 && res.out.value <= 3600);
        CHECK(res.out.elapsed < 2.0);
        CHECK_INT(testdc_codes(dc, "15550001111").count, 5);
        /* A 99966 number of a DC that does not exist is just another number here. */
        res = send_code_sync(client, "+9996650001", info.api_id, info.api_hash, NULL, WAIT_MS);
        CHECK(res.out.ok);
        tg_client_free(client);
    }
    tg_testdc_stop(dc);
    testdc_info_free(&info);
}

static void test_timeout(void) {
    silent_listener l;
    REQUIRE(silent_start(&l));
    tg_client *client = silent_client(&l, 300);
    if (client) {
        send_result res = send_code_sync(client, "+9996610008", 1, "hash", NULL, 5000);
        CHECK_FAILED_WITH(res, TG_RESULT_TIMEOUT);
        CHECK(res.out.elapsed >= 0.25);
        CHECK(res.out.elapsed < 2.0);
        CHECK(atomic_load(&l.accepted) >= 1); /* it did connect: the silence timed out */
        tg_client_free(client);
    }
    silent_stop(&l);
}

static void test_connection_refused(void) {
    /* A port nobody listens on: a network error, well before the deadline. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    REQUIRE(getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
    close(fd); /* now nothing listens on that port */
    tg_config *config = NULL;
    REQUIRE(tg_config_new(&config) == TG_RESULT_OK);
    CHECK_RC(tg_config_add_dc(config, 1, "127.0.0.1", ntohs(addr.sin_port)), TG_RESULT_OK);
    CHECK_RC(tg_config_set_timeout_ms(config, 5000), TG_RESULT_OK);
    tg_client *client = client_from(config);
    REQUIRE(client);
    send_result res = send_code_sync(client, "+9996610009", 1, "hash", NULL, 10000);
    CHECK_FAILED_WITH(res, TG_RESULT_NETWORK);
    CHECK(res.out.elapsed < 4.0);
    tg_client_free(client);
}

static void test_cancel(void) {
    silent_listener l;
    REQUIRE(silent_start(&l));
    tg_client *client = silent_client(&l, 60000);
    if (client) {
        h_counter counter;
        h_counter_init(&counter);
        h_slot slot = {.counter = &counter};
        uint64_t id = 0;
        double t0 = h_now();
        CHECK_RC(tg_send_code(client, "+9996610010", 1, "hash", NULL, h_slot_callback, &slot, &id),
                 TG_RESULT_OK);
        CHECK(id != 0);
        h_sleep_ms(100);
        CHECK_INT(atomic_load(&slot.calls), 0); /* still waiting on the silent DC */
        CHECK_RC(tg_cancel(client, id), TG_RESULT_OK);
        CHECK_INT(h_counter_wait(&counter, 1, 5000), 1);
        CHECK(h_now() - t0 < 5.0);
        CHECK_INT(atomic_load(&slot.calls), 1);
        CHECK_RC(atomic_load(&slot.result), TG_RESULT_CANCELLED);
        CHECK_RC(tg_cancel(client, id), TG_RESULT_NOT_FOUND);
        /* Ids are not reused: a second request gets another id. */
        uint64_t id2 = 0;
        h_slot slot2 = {.counter = &counter};
        CHECK_RC(tg_send_code(client, "+9996610010", 1, "hash", NULL, h_slot_callback, &slot2, &id2),
                 TG_RESULT_OK);
        CHECK(id2 != id);
        CHECK_RC(tg_cancel(client, id2), TG_RESULT_OK);
        CHECK_INT(h_counter_wait(&counter, 2, 5000), 2);
        CHECK_RC(atomic_load(&slot2.result), TG_RESULT_CANCELLED);
        tg_client_free(client);
        CHECK_INT(atomic_load(&slot.calls), 1);
        CHECK_INT(atomic_load(&slot2.calls), 1);
        h_counter_destroy(&counter);
    }
    silent_stop(&l);
}

static void test_cancel_error_fields(void) {
    /* What a C user sees in the tg_error of a cancellation. */
    silent_listener l;
    REQUIRE(silent_start(&l));
    tg_client *client = silent_client(&l, 60000);
    if (client) {
        tg_result rc;
        uint64_t id = 0;
        h_sync_state *s = h_async_start(client, "+9996610011", 1, "hash", NULL, &rc, &id);
        CHECK_RC(rc, TG_RESULT_OK);
        h_sleep_ms(50);
        CHECK_RC(tg_cancel(client, id), TG_RESULT_OK);
        send_result res = h_async_wait(s, rc, id, 5000);
        CHECK_FAILED_WITH(res, TG_RESULT_CANCELLED);
        tg_client_free(client);
    }
    silent_stop(&l);
}

static void test_free_with_100_in_flight(void) {
    silent_listener l;
    REQUIRE(silent_start(&l));
    tg_client *client = silent_client(&l, 60000);
    if (client) {
        enum { N = 100 };
        h_counter counter;
        h_counter_init(&counter);
        static h_slot slots[N];
        for (int i = 0; i < N; i++) {
            atomic_store(&slots[i].calls, 0);
            atomic_store(&slots[i].result, -1);
            slots[i].counter = &counter;
            CHECK_RC(tg_send_code(client, "+9996610012", 1, "hash", NULL, h_slot_callback,
                                  &slots[i], NULL),
                     TG_RESULT_OK);
        }
        h_sleep_ms(100);
        CHECK_INT(h_counter_wait(&counter, 1, 0), 0); /* all still waiting */
        double t0 = h_now();
        tg_client_free(client);
        /* Returned only after every callback returned: no waiting needed here. */
        CHECK(h_now() - t0 < 5.0);
        CHECK_INT(h_counter_wait(&counter, N, 0), N);
        int bad = 0;
        for (int i = 0; i < N; i++) {
            if (atomic_load(&slots[i].calls) != 1 ||
                atomic_load(&slots[i].result) != (int)TG_RESULT_CANCELLED)
                bad++;
        }
        CHECK_INT(bad, 0);
        /* And nothing more arrives later. */
        h_sleep_ms(100);
        CHECK_INT(h_counter_wait(&counter, N + 1, 0), N);
        h_counter_destroy(&counter);
    }
    silent_stop(&l);
}

/* A fresh directory for session files; removed by session_dir_remove. */
static bool session_dir(char *dir, size_t size) {
    snprintf(dir, size, "/tmp/tgauth-c-test-XXXXXX");
    return mkdtemp(dir) != NULL;
}

static void session_dir_remove(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static tg_client *session_client(const char *path, tg_result *rc) {
    tg_config *config = testdc_config(&g_info, 1, true);
    if (!config) return NULL;
    CHECK_RC(tg_config_set_session_path(config, path), TG_RESULT_OK);
    tg_client *client = NULL;
    *rc = tg_client_new(config, &client);
    tg_config_free(config);
    return *rc == TG_RESULT_OK ? client : NULL;
}

/* A client on `path` right after the previous one was freed: tg_client_free has returned,
 * so the file's lock must be free at once. */
static tg_client *session_client_after_free(const char *path) {
    tg_result rc;
    tg_client *client = session_client(path, &rc);
    CHECK_RC(rc, TG_RESULT_OK);
    if (rc == TG_RESULT_SESSION) {
        /* Reported above; wait for the lock to go so the rest of the test still runs. */
        double t0 = h_now();
        while (!client && h_now() - t0 < 2.0) {
            h_sleep_ms(1);
            client = session_client(path, &rc);
        }
        fprintf(stderr, "  the session lock outlived tg_client_free by %.0f ms\n",
                (h_now() - t0) * 1000);
    }
    return client;
}

static void test_session_file(void) {
    char dir[64], path[128];
    REQUIRE(session_dir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/session.json", dir);
    tg_result rc;
    long long keys0 = testdc_stat(g_dc, "auth_keys_created");
    tg_client *first = session_client(path, &rc);
    CHECK_RC(rc, TG_RESULT_OK);
    if (first) {
        /* A second client on the same file while the first lives: refused. */
        tg_client *second = session_client(path, &rc);
        CHECK_RC(rc, TG_RESULT_SESSION);
        CHECK(second == NULL);
        tg_client_free(second);

        send_result res = send_g(first, "+9996610013");
        check_default_code(g_dc, &res, "+9996610013", 1, "11111");
        CHECK_INT(testdc_stat(g_dc, "auth_keys_created") - keys0, 1);
        char *exported = NULL;
        CHECK_RC(tg_client_export_session_string(first, &exported), TG_RESULT_OK);
        CHECK(exported && exported[0] == '1');
        tg_string_free(exported);
        tg_client_free(first);
    }
    struct stat st;
    REQUIRE(stat(path, &st) == 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    char lock[160];
    snprintf(lock, sizeof lock, "%s.lock", path);
    CHECK(stat(lock, &st) == 0 && (st.st_mode & 0777) == 0600);

    /* The second client on the same path reuses the saved key: no new handshake. The
     * first was freed, so its lock must be released by now. */
    long long keys1 = testdc_stat(g_dc, "auth_keys_created");
    tg_client *second = session_client_after_free(path);
    if (second) {
        send_result res = send_g(second, "+9996610014");
        check_default_code(g_dc, &res, "+9996610014", 1, "11111");
        CHECK_INT(testdc_stat(g_dc, "auth_keys_created"), keys1);
        tg_client_free(second);
    }
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

    /* A migration is saved too: DC 2 becomes home, and stays home for the next client. */
    second = session_client_after_free(path);
    if (second) {
        send_result res = send_g(second, "+9996620004");
        check_default_code(g_dc, &res, "+9996620004", 2, "22222");
        tg_client_free(second);
    }
    long long calls0 = testdc_stat(g_dc, "send_code_calls");
    keys1 = testdc_stat(g_dc, "auth_keys_created");
    second = session_client_after_free(path);
    if (second) {
        send_result res = send_g(second, "+9996620005");
        check_default_code(g_dc, &res, "+9996620005", 2, "22222");
        CHECK_INT(testdc_stat(g_dc, "send_code_calls") - calls0, 1);
        CHECK_INT(testdc_stat(g_dc, "auth_keys_created"), keys1);
        tg_client_free(second);
    }
    session_dir_remove(dir);
}

static void test_session_corrupt(void) {
    char dir[64], path[128];
    REQUIRE(session_dir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/session.json", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    CHECK(write(fd, "not json {", 10) == 10);
    close(fd);
    tg_result rc;
    tg_client *client = session_client(path, &rc);
    CHECK_RC(rc, TG_RESULT_SESSION);
    CHECK(client == NULL);
    tg_client_free(client);
    /* Reported, never overwritten. */
    char buf[32] = {0};
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, sizeof buf - 1) == 10);
    if (fd >= 0) close(fd);
    CHECK_STR(buf, "not json {");
    /* A path in a directory that does not exist cannot be used. */
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no/such/dir/session.json", dir);
    client = session_client(missing, &rc);
    CHECK(rc != TG_RESULT_OK);
    CHECK(client == NULL);
    tg_client_free(client);
    session_dir_remove(dir);
}

static void test_session_string(void) {
    /* Export from one client, start another from the string: same key, no handshake. */
    tg_client *client = client_home(1, true);
    REQUIRE(client);
    char *exported = NULL;
    CHECK_RC(tg_client_export_session_string(client, &exported), TG_RESULT_NOT_FOUND);
    send_result res = send_g(client, "+9996610015");
    CHECK(res.out.ok);
    CHECK_RC(tg_client_export_session_string(client, &exported), TG_RESULT_OK);
    tg_client_free(client);
    REQUIRE(exported);
    CHECK(exported[0] == '1');
    tg_config *config = NULL;
    REQUIRE(tg_config_new(&config) == TG_RESULT_OK);
    CHECK_RC(tg_config_add_rsa_key(config, g_info.rsa_public_key), TG_RESULT_OK);
    CHECK_RC(tg_config_set_session_string(config, exported), TG_RESULT_OK);
    tg_string_free(exported);
    client = client_from(config);
    REQUIRE(client);
    long long keys0 = testdc_stat(g_dc, "auth_keys_created");
    res = send_g(client, "+9996610016");
    check_default_code(g_dc, &res, "+9996610016", 1, "11111");
    CHECK_INT(testdc_stat(g_dc, "auth_keys_created"), keys0);
    tg_client_free(client);
}

static void test_1000_concurrent(void) {
    tg_client *client = client_home(1, true);
    REQUIRE(client);
    enum { N = 1000 };
    h_counter counter;
    h_counter_init(&counter);
    static h_slot slots[N];
    char phone[32];
    int refused = 0;
    for (int i = 0; i < N; i++) {
        atomic_store(&slots[i].calls, 0);
        atomic_store(&slots[i].result, -1);
        slots[i].counter = &counter;
        snprintf(phone, sizeof phone, "+99966%d%04d", 1, 1000 + i);
        if (tg_send_code(client, phone, g_info.api_id, g_info.api_hash, NULL, h_slot_callback,
                         &slots[i], NULL) != TG_RESULT_OK)
            refused++;
    }
    CHECK_INT(refused, 0);
    CHECK_INT(h_counter_wait(&counter, N, 30000), N);
    tg_client_free(client);
    CHECK_INT(h_counter_wait(&counter, N, 0), N);
    int not_once = 0, failed = 0;
    for (int i = 0; i < N; i++) {
        if (atomic_load(&slots[i].calls) != 1) not_once++;
        if (atomic_load(&slots[i].result) != (int)TG_RESULT_OK) failed++;
    }
    CHECK_INT(not_once, 0);
    CHECK_INT(failed, 0);
    /* Every code reached the DC, on DC 1. */
    kept_codes codes = testdc_codes(g_dc, "+9996611999");
    CHECK_INT(codes.count, 1);
    CHECK_INT(codes.last.dc, 1);
    CHECK_STR(codes.last.code, "11111");
    h_counter_destroy(&counter);
}

int main(int argc, char **argv) {
    static const h_test tests[] = {
        {"info_json", test_info_json},
        {"success_on_each_dc", test_success_on_each_dc},
        {"phone_number_formats", test_phone_number_formats},
        {"phone_migration", test_phone_migration},
        {"phone_migration_known_dcs", test_phone_migration_known_dcs},
        {"network_migration", test_network_migration},
        {"reserved_errors", test_reserved_errors},
        {"invalid_number", test_invalid_number},
        {"wrong_api", test_wrong_api},
        {"flood_wait_slept_through", test_flood_wait_slept_through},
        {"flood_wait_returned", test_flood_wait_returned},
        {"auth_restart", test_auth_restart},
        {"auth_key_duplicated", test_auth_key_duplicated},
        {"code_limit_and_single_dc", test_code_limit_and_single_dc},
        {"timeout", test_timeout},
        {"connection_refused", test_connection_refused},
        {"cancel", test_cancel},
        {"cancel_error_fields", test_cancel_error_fields},
        {"free_with_100_in_flight", test_free_with_100_in_flight},
        {"session_file", test_session_file},
        {"session_corrupt", test_session_corrupt},
        {"session_string", test_session_string},
        {"1000_concurrent", test_1000_concurrent},
    };
    g_dc = testdc_start_with("\"dcs\":3,\"code_limit\":0", &g_info);
    if (!g_dc) {
        printf("[ RUN  ] testdc_start\n[ FAIL ] testdc_start\n");
        return 1;
    }
    int rc = h_run(argc, argv, tests, sizeof tests / sizeof tests[0], 120);
    tg_testdc_stop(g_dc);
    testdc_info_free(&g_info);
    return rc;
}
