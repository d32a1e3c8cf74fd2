/*
 * The client options of the C ABI against the in-process test DC: every transport with and
 * without obfuscated2 (and the one combination refused), the app given once in the config,
 * a client started from a session string, and the misuse matrix of those calls.
 */
#include "harness.h"

#include <limits.h>

static tg_testdc *g_dc;
static testdc_info g_info;

#define WAIT_MS 15000

static const char BAD_UTF8_TEXT[] = "abc\xc3\x28"; /* truncated 2-byte sequence */

static atomic_int g_unexpected_callbacks;

static void never_called(void *user_data, const tg_sent_code *sent, const tg_error *error) {
    (void)user_data;
    (void)sent;
    (void)error;
    atomic_fetch_add(&g_unexpected_callbacks, 1);
}

static char *repeat(char c, size_t len) {
    char *s = malloc(len + 1);
    if (!s) abort();
    memset(s, c, len);
    s[len] = '\0';
    return s;
}

/* The answer every 99966X number gets by default (TESTDC.md), recorded by the DC on `dc`. */
static void check_code_sent(const send_result *res, const char *phone, int want_dc) {
    CHECK_COMPLETED(*res);
    CHECK(res->out.ok);
    if (!res->out.ok) {
        fprintf(stderr, "  %s: error %s %d %s: %s\n", phone, tg_result_str(res->out.result),
                res->out.code, res->out.name, res->out.message);
        return;
    }
    CHECK_INT(res->out.kind, TG_SENT_CODE_KIND_CODE);
    CHECK_INT(res->out.type, TG_CODE_TYPE_APP);
    CHECK_INT(res->out.length, 5);
    kept_codes codes = testdc_codes(g_dc, phone);
    CHECK_INT(codes.count, 1);
    CHECK_STR(codes.last.phone_code_hash, res->out.phone_code_hash);
    CHECK_INT(codes.last.dc, want_dc);
}

static const char *transport_name(uint32_t t) {
    switch (t) {
    case TG_TRANSPORT_ABRIDGED: return "abridged";
    case TG_TRANSPORT_INTERMEDIATE: return "intermediate";
    case TG_TRANSPORT_PADDED: return "padded";
    case TG_TRANSPORT_FULL: return "full";
    default: return "?";
    }
}

/* ------------------------------------------------------------------------------------ */

static void test_each_transport(void) {
    static const uint32_t transports[] = {TG_TRANSPORT_ABRIDGED, TG_TRANSPORT_INTERMEDIATE,
                                          TG_TRANSPORT_PADDED, TG_TRANSPORT_FULL};
    int n = 0;
    for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++) {
        for (int obfuscated = 0; obfuscated <= 1; obfuscated++) {
            if (transports[i] == TG_TRANSPORT_FULL && obfuscated) continue;
            fprintf(stderr, "  %s%s\n", transport_name(transports[i]),
                    obfuscated ? " + obfuscated2" : "");
            tg_config *config = testdc_config(&g_info, 2, true);
            REQUIRE(config);
            CHECK_RC(tg_config_set_transport(config, transports[i], obfuscated != 0),
                     TG_RESULT_OK);
            tg_client *client = client_from(config);
            REQUIRE(client);
            long long connections0 = testdc_stat(g_dc, "connections");
            char phone[32];
            snprintf(phone, sizeof phone, "+999662%04d", 100 + n++);
            send_result res =
                send_code_sync(client, phone, g_info.api_id, g_info.api_hash, NULL, WAIT_MS);
            check_code_sent(&res, phone, 2);
            /* It went over a connection of its own. */
            CHECK(testdc_stat(g_dc, "connections") > connections0);
            tg_client_free(client);
        }
    }
}

static void test_full_obfuscated_refused(void) {
    tg_config *config = testdc_config(&g_info, 1, true);
    REQUIRE(config);
    CHECK_RC(tg_config_set_transport(config, TG_TRANSPORT_ABRIDGED, true), TG_RESULT_OK);
    /* Refused at once, and the configuration keeps what it had (abridged + obfuscated2). */
    CHECK_RC(tg_config_set_transport(config, TG_TRANSPORT_FULL, true),
             TG_RESULT_INVALID_ARGUMENT);
    /* Unknown values (a newer header's) are refused too, never undefined behaviour. */
    CHECK_RC(tg_config_set_transport(config, 4, false), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_transport(config, UINT32_MAX, true), TG_RESULT_INVALID_ARGUMENT);
    tg_client *client = client_from(config);
    REQUIRE(client);
    send_result res = send_code_sync(client, "+9996610200", g_info.api_id, g_info.api_hash,
                                     NULL, WAIT_MS);
    check_code_sent(&res, "+9996610200", 1);
    tg_client_free(client);
    /* The full transport alone is fine. */
    REQUIRE(tg_config_new(&config) == TG_RESULT_OK);
    CHECK_RC(tg_config_set_transport(config, TG_TRANSPORT_FULL, false), TG_RESULT_OK);
    tg_config_free(config);
}

static void test_misuse(void) {
    enum { MB = 1 << 20 };
    CHECK_RC(tg_config_set_transport(NULL, TG_TRANSPORT_ABRIDGED, false),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_app(NULL, g_info.api_id, g_info.api_hash), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(NULL, "1abc"), TG_RESULT_INVALID_ARGUMENT);

    tg_config *config = NULL;
    REQUIRE(tg_config_new(&config) == TG_RESULT_OK);
    char *huge = repeat('a', MB), *long_hash = repeat('a', 257), *max_hash = repeat('a', 256);
    CHECK_RC(tg_config_set_app(config, g_info.api_id, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_app(config, g_info.api_id, BAD_UTF8_TEXT), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_app(config, g_info.api_id, huge), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_app(config, g_info.api_id, long_hash), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_app(config, g_info.api_id, ""), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_app(config, 0, g_info.api_hash), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_app(config, -1, g_info.api_hash), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_app(config, INT32_MIN, g_info.api_hash), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_app(config, INT32_MAX, max_hash), TG_RESULT_OK);
    CHECK_RC(tg_config_set_session_string(config, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(config, ""), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(config, "1\xff\xfe"), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(config, "1not-base64!"), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(config, "2AAAA"), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(config, huge), TG_RESULT_INVALID_ARGUMENT);
    tg_config_free(config);
    free(huge);
    free(long_hash);
    free(max_hash);

    /* tg_send_code without an app, with none in the config: refused, no callback. */
    tg_client *client = client_from(testdc_config(&g_info, 1, true));
    REQUIRE(client);
    uint64_t id = 0;
    CHECK_RC(tg_send_code(client, "+9996610201", 0, NULL, NULL, never_called, NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    /* Half an app is refused whether or not the config has one. */
    CHECK_RC(tg_send_code(client, "+9996610201", g_info.api_id, NULL, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610201", 0, g_info.api_hash, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    tg_client_free(client);
    config = testdc_config(&g_info, 1, true);
    REQUIRE(config);
    CHECK_RC(tg_config_set_app(config, g_info.api_id, g_info.api_hash), TG_RESULT_OK);
    client = client_from(config);
    REQUIRE(client);
    CHECK_RC(tg_send_code(client, "+9996610201", g_info.api_id, NULL, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610201", 0, g_info.api_hash, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610201", -3, g_info.api_hash, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    tg_client_free(client);
    CHECK_INT(testdc_codes(g_dc, "+9996610201").count, 0);
    CHECK_INT(atomic_load(&g_unexpected_callbacks), 0);
}

static void test_config_app_serves_every_call(void) {
    tg_config *config = testdc_config(&g_info, 1, true);
    REQUIRE(config);
    CHECK_RC(tg_config_set_app(config, g_info.api_id, g_info.api_hash), TG_RESULT_OK);
    tg_client *client = client_from(config);
    REQUIRE(client);
    /* Several calls with no app of their own, one of them migrated to DC 2. */
    send_result res = send_code_sync(client, "+9996610202", 0, NULL, NULL, WAIT_MS);
    check_code_sent(&res, "+9996610202", 1);
    res = send_code_sync(client, "+9996610203", 0, NULL, NULL, WAIT_MS);
    check_code_sent(&res, "+9996610203", 1);
    res = send_code_sync(client, "+9996620204", 0, NULL, NULL, WAIT_MS);
    check_code_sent(&res, "+9996620204", 2);
    tg_client_free(client);

    /* The config's app is what the server sees: a wrong one fails every call that uses it,
     * and a call that names the right app still succeeds. */
    config = testdc_config(&g_info, 1, true);
    REQUIRE(config);
    CHECK_RC(tg_config_set_app(config, g_info.api_id, "00000000000000000000000000000000"),
             TG_RESULT_OK);
    client = client_from(config);
    REQUIRE(client);
    res = send_code_sync(client, "+9996610205", 0, NULL, NULL, WAIT_MS);
    CHECK_RPC(res, 400, "API_ID_INVALID", -1);
    CHECK_INT(testdc_codes(g_dc, "+9996610205").count, 0);
    res = send_code_sync(client, "+9996610205", g_info.api_id, g_info.api_hash, NULL, WAIT_MS);
    check_code_sent(&res, "+9996610205", 1);
    tg_client_free(client);
}

static void test_session_string_reuses_its_key(void) {
    /* A first client makes a key and exports it. */
    tg_client *client = client_from(testdc_config(&g_info, 2, true));
    REQUIRE(client);
    send_result res = send_code_sync(client, "+9996620206", g_info.api_id, g_info.api_hash,
                                     NULL, WAIT_MS);
    check_code_sent(&res, "+9996620206", 2);
    char *exported = NULL;
    CHECK_RC(tg_client_export_session_string(client, &exported), TG_RESULT_OK);
    tg_client_free(client);
    REQUIRE(exported);

    /* A client from the string alone (no DC added): its DC and key come from the string;
     * with obfuscated2 and the config's app, as a user behind a filtering network would. */
    tg_config *config = NULL;
    REQUIRE(tg_config_new(&config) == TG_RESULT_OK);
    CHECK_RC(tg_config_add_rsa_key(config, g_info.rsa_public_key), TG_RESULT_OK);
    CHECK_RC(tg_config_set_session_string(config, exported), TG_RESULT_OK);
    CHECK_RC(tg_config_set_transport(config, TG_TRANSPORT_PADDED, true), TG_RESULT_OK);
    CHECK_RC(tg_config_set_app(config, g_info.api_id, g_info.api_hash), TG_RESULT_OK);
    client = client_from(config);
    REQUIRE(client);
    long long keys0 = testdc_stat(g_dc, "auth_keys_created");
    CHECK(keys0 >= 1);
    res = send_code_sync(client, "+9996620207", 0, NULL, NULL, WAIT_MS);
    check_code_sent(&res, "+9996620207", 2);
    res = send_code_sync(client, "+9996620208", 0, NULL, NULL, WAIT_MS);
    check_code_sent(&res, "+9996620208", 2);
    CHECK_INT(testdc_stat(g_dc, "auth_keys_created"), keys0);
    /* The same key comes back out. */
    char *again = NULL;
    CHECK_RC(tg_client_export_session_string(client, &again), TG_RESULT_OK);
    if (again) CHECK_STR(again, exported);
    tg_string_free(again);
    tg_client_free(client);
    tg_string_free(exported);
}

int main(int argc, char **argv) {
    static const h_test tests[] = {
        {"each_transport", test_each_transport},
        {"full_obfuscated_refused", test_full_obfuscated_refused},
        {"misuse", test_misuse},
        {"config_app_serves_every_call", test_config_app_serves_every_call},
        {"session_string_reuses_its_key", test_session_string_reuses_its_key},
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
