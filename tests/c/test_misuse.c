/*
 * The misuse matrix: what the C ABI does with NULLs, bad UTF-8, huge strings, out-of-range
 * numbers, double cancels, freeing from a callback and many threads at once. Built with
 * ASan and UBSan: any memory error in our use of the API (or in what it hands back)
 * aborts the binary.
 */
#include "harness.h"

#include <limits.h>

static tg_testdc *g_dc;
static testdc_info g_info;

#define WAIT_MS 15000

static const char BAD_UTF8[] = "+99966\xff\xfe" "1234";
static const char BAD_UTF8_TEXT[] = "abc\xc3\x28";   /* truncated 2-byte sequence */
static const char OVERLONG_NUL[] = "\xc0\x80path";   /* overlong encoding of NUL */

/* A NUL-terminated string of `len` copies of `c` (malloc'd). */
static char *repeat(char c, size_t len) {
    char *s = malloc(len + 1);
    if (!s) abort();
    memset(s, c, len);
    s[len] = '\0';
    return s;
}

/* Counts callbacks that must never come (refused requests). */
static atomic_int g_unexpected_callbacks;

static void never_called(void *user_data, const tg_sent_code *sent, const tg_error *error) {
    (void)user_data;
    (void)sent;
    (void)error;
    atomic_fetch_add(&g_unexpected_callbacks, 1);
}

static tg_client *client_home(int home) {
    return client_from(testdc_config(&g_info, home, true));
}

/* ------------------------------------------------------------------------------------ */

static void test_null_pointers(void) {
    tg_config *config = NULL;
    tg_client *client = NULL;
    char *out = NULL;
    uint64_t id = 0;

    /* Frees: no-ops. */
    tg_string_free(NULL);
    tg_config_free(NULL);
    tg_client_free(NULL);
    tg_testdc_stop(NULL);

    /* Config functions. */
    CHECK_RC(tg_config_new(NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_dc(NULL, 1, "127.0.0.1", 443), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_rsa_key(NULL, g_info.rsa_public_key), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_use_test_servers(NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_path(NULL, "/tmp/x"), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(NULL, "1abc"), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_timeout_ms(NULL, 1000), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_flood_sleep_threshold(NULL, 10), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_device(NULL, "a", "b", "c"), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_lang(NULL, "en", "", "en"), TG_RESULT_INVALID_ARGUMENT);
    REQUIRE(tg_config_new(&config) == TG_RESULT_OK && config);
    CHECK_RC(tg_config_add_dc(config, 1, NULL, 443), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_rsa_key(config, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_path(config, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(config, NULL), TG_RESULT_INVALID_ARGUMENT);
    /* NULL fields of device / lang leave the defaults: not an error. */
    CHECK_RC(tg_config_set_device(config, NULL, NULL, NULL), TG_RESULT_OK);
    CHECK_RC(tg_config_set_lang(config, NULL, NULL, NULL), TG_RESULT_OK);
    CHECK_RC(tg_config_set_device(config, "C test", NULL, "1.0"), TG_RESULT_OK);
    CHECK_RC(tg_config_set_lang(config, "en", NULL, "en"), TG_RESULT_OK);

    /* Client functions. */
    CHECK_RC(tg_client_new(NULL, &client), TG_RESULT_INVALID_ARGUMENT);
    CHECK(client == NULL);
    CHECK_RC(tg_client_new(config, NULL), TG_RESULT_INVALID_ARGUMENT);
    tg_config_free(config);
    client = client_home(1);
    REQUIRE(client);
    CHECK_RC(tg_send_code(NULL, "+9996610001", g_info.api_id, g_info.api_hash, NULL, never_called,
                          NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, NULL, g_info.api_id, g_info.api_hash, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610001", g_info.api_id, NULL, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610001", g_info.api_id, g_info.api_hash, NULL, NULL, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_cancel(NULL, 1), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_client_export_session_string(NULL, &out), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_client_export_session_string(client, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK(out == NULL);

    /* NULL settings and request_id_out are allowed: the request goes through. */
    h_counter counter;
    h_counter_init(&counter);
    h_slot slot = {.counter = &counter};
    CHECK_RC(tg_send_code(client, "+9996610001", g_info.api_id, g_info.api_hash, NULL,
                          h_slot_callback, &slot, NULL),
             TG_RESULT_OK);
    CHECK_INT(h_counter_wait(&counter, 1, WAIT_MS), 1);
    CHECK_RC(atomic_load(&slot.result), TG_RESULT_OK);
    tg_client_free(client);
    CHECK_INT(atomic_load(&slot.calls), 1);
    h_counter_destroy(&counter);

    /* Test DC functions. */
    CHECK_RC(tg_testdc_start("{}", NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK(tg_testdc_info_json(NULL) == NULL);
    CHECK_RC(tg_testdc_codes_json(NULL, "+9996610001", &out), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_testdc_codes_json(g_dc, NULL, &out), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_testdc_codes_json(g_dc, "+9996610001", NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_testdc_stats_json(NULL, &out), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_testdc_stats_json(g_dc, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK(out == NULL);

    /* Log sink: removing it with NULL is fine. */
    CHECK_RC(tg_set_log_callback(NULL, NULL, 0), TG_RESULT_OK);
    CHECK_RC(tg_set_log_callback(NULL, NULL, 5), TG_RESULT_OK);

    CHECK_INT(atomic_load(&g_unexpected_callbacks), 0);
}

static void test_invalid_utf8(void) {
    tg_config *config = NULL;
    REQUIRE(tg_config_new(&config) == TG_RESULT_OK);
    CHECK_RC(tg_config_add_dc(config, 1, "127.0.0.\xff", 443), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_dc(config, 1, BAD_UTF8_TEXT, 443), TG_RESULT_INVALID_ARGUMENT);
    /* A PEM with one bad byte in its body. */
    size_t pem_len = strlen(g_info.rsa_public_key);
    char *pem = malloc(pem_len + 1);
    REQUIRE(pem);
    memcpy(pem, g_info.rsa_public_key, pem_len + 1);
    pem[40] = (char)0xff;
    CHECK_RC(tg_config_add_rsa_key(config, pem), TG_RESULT_INVALID_ARGUMENT);
    free(pem);
    CHECK_RC(tg_config_set_session_path(config, "/tmp/tgauth-\xff.json"), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_path(config, OVERLONG_NUL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(config, "1\xff\xfe"), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_device(config, BAD_UTF8_TEXT, NULL, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_device(config, NULL, BAD_UTF8_TEXT, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_device(config, NULL, NULL, BAD_UTF8_TEXT), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_lang(config, BAD_UTF8_TEXT, NULL, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_lang(config, NULL, BAD_UTF8_TEXT, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_lang(config, NULL, NULL, BAD_UTF8_TEXT), TG_RESULT_INVALID_ARGUMENT);
    tg_config_free(config);

    tg_client *client = client_home(1);
    REQUIRE(client);
    uint64_t id = 0;
    CHECK_RC(tg_send_code(client, BAD_UTF8, g_info.api_id, g_info.api_hash, NULL, never_called,
                          NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610001", g_info.api_id, BAD_UTF8_TEXT, NULL, never_called,
                          NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    tg_code_settings settings = {0};
    settings.token = BAD_UTF8_TEXT;
    settings.app_sandbox = 1;
    CHECK_RC(tg_send_code(client, "+9996610001", g_info.api_id, g_info.api_hash, &settings,
                          never_called, NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    tg_client_free(client);

    char *out = NULL;
    CHECK_RC(tg_testdc_codes_json(g_dc, BAD_UTF8, &out), TG_RESULT_INVALID_ARGUMENT);
    CHECK(out == NULL);
    tg_testdc *dc = NULL;
    CHECK_RC(tg_testdc_start("{\"host\":\"\xff\"}", &dc), TG_RESULT_INVALID_ARGUMENT);
    CHECK(dc == NULL);
    CHECK_INT(atomic_load(&g_unexpected_callbacks), 0);
}

static void test_huge_strings(void) {
    enum { MB = 1 << 20 };
    char *digits = repeat('1', MB), *letters = repeat('a', MB);
    tg_config *config = NULL;
    REQUIRE(tg_config_new(&config) == TG_RESULT_OK);
    CHECK_RC(tg_config_add_dc(config, 1, letters, 443), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_rsa_key(config, letters), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_path(config, letters), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(config, letters), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_device(config, letters, NULL, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_device(config, NULL, letters, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_device(config, NULL, NULL, letters), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_lang(config, letters, NULL, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_lang(config, NULL, letters, NULL), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_lang(config, NULL, NULL, letters), TG_RESULT_INVALID_ARGUMENT);
    /* A PEM padded to 1 MB with a valid key inside is still refused by size. */
    size_t pem_len = strlen(g_info.rsa_public_key);
    char *big_pem = repeat('\n', MB);
    memcpy(big_pem, g_info.rsa_public_key, pem_len);
    CHECK_RC(tg_config_add_rsa_key(config, big_pem), TG_RESULT_INVALID_ARGUMENT);
    free(big_pem);
    tg_config_free(config);

    tg_client *client = client_home(1);
    REQUIRE(client);
    uint64_t id = 0;
    CHECK_RC(tg_send_code(client, digits, g_info.api_id, g_info.api_hash, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610001", g_info.api_id, letters, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    tg_code_settings settings = {0};
    settings.token = letters;
    settings.app_sandbox = 2;
    CHECK_RC(tg_send_code(client, "+9996610001", g_info.api_id, g_info.api_hash, &settings,
                          never_called, NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    tg_client_free(client);

    char *out = NULL;
    CHECK_RC(tg_testdc_codes_json(g_dc, digits, &out), TG_RESULT_INVALID_ARGUMENT);
    CHECK(out == NULL);
    tg_testdc *dc = NULL;
    /* 1 MB of options JSON: {"host":"aaaa...."} */
    char *options = repeat(' ', MB);
    memcpy(options, "{\"host\":\"", 9);
    memset(options + 9, 'a', MB - 11);
    memcpy(options + MB - 2, "\"}", 2);
    CHECK_RC(tg_testdc_start(options, &dc), TG_RESULT_INVALID_ARGUMENT);
    CHECK(dc == NULL);
    free(options);
    free(digits);
    free(letters);
    CHECK_INT(atomic_load(&g_unexpected_callbacks), 0);
}

static void test_bad_numbers_and_ranges(void) {
    tg_client *client = client_home(1);
    REQUIRE(client);
    uint64_t id = 0;
    CHECK_RC(tg_send_code(client, "+9996610001", 0, g_info.api_hash, NULL, never_called, NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610001", -1, g_info.api_hash, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610001", INT32_MIN, g_info.api_hash, NULL, never_called,
                          NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    /* Empty phone / hash: refused at once. */
    CHECK_RC(tg_send_code(client, "", g_info.api_id, g_info.api_hash, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "   ", g_info.api_id, g_info.api_hash, NULL, never_called, NULL,
                          &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610001", g_info.api_id, "", NULL, never_called, NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    /* Longer than any phone number or api_hash can be: refused at once, not sent. */
    char *long_phone = repeat('1', 65), *long_hash = repeat('a', 257);
    CHECK_RC(tg_send_code(client, long_phone, g_info.api_id, g_info.api_hash, NULL, never_called,
                          NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_send_code(client, "+9996610001", g_info.api_id, long_hash, NULL, never_called,
                          NULL, &id),
             TG_RESULT_INVALID_ARGUMENT);
    free(long_phone);
    free(long_hash);
    /* A well-formed request with a number too long for the DC: a 406, not a refusal. */
    send_result res = send_code_sync(client, "+1234567890123456789", g_info.api_id,
                                     g_info.api_hash, NULL, WAIT_MS);
    CHECK_RPC(res, 406, "PHONE_NUMBER_INVALID", -1);
    tg_client_free(client);

    tg_config *config = NULL;
    REQUIRE(tg_config_new(&config) == TG_RESULT_OK);
    CHECK_RC(tg_config_set_timeout_ms(config, 0), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_timeout_ms(config, 3600001), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_timeout_ms(config, UINT32_MAX), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_timeout_ms(config, 1), TG_RESULT_OK);
    CHECK_RC(tg_config_set_timeout_ms(config, 3600000), TG_RESULT_OK);
    CHECK_RC(tg_config_set_flood_sleep_threshold(config, 0), TG_RESULT_OK);
    CHECK_RC(tg_config_set_flood_sleep_threshold(config, 86400), TG_RESULT_OK);
    CHECK_RC(tg_config_set_flood_sleep_threshold(config, 86401), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_flood_sleep_threshold(config, UINT32_MAX), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_dc(config, 0, "127.0.0.1", 443), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_dc(config, -1, "127.0.0.1", 443), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_dc(config, 1001, "127.0.0.1", 443), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_dc(config, 1, "127.0.0.1", 0), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_dc(config, 1, "", 443), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_dc(config, 1000, "127.0.0.1", 65535), TG_RESULT_OK);
    CHECK_RC(tg_config_add_dc(config, 1, "127.0.0.1", 1), TG_RESULT_OK);
    CHECK_RC(tg_config_add_rsa_key(config, ""), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_rsa_key(config, "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n"),
             TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_add_rsa_key(config, g_info.rsa_public_key), TG_RESULT_OK);
    CHECK_RC(tg_config_set_session_path(config, ""), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(config, ""), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_set_session_string(config, "1notbase64!!"), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_config_use_test_servers(config), TG_RESULT_OK);
    tg_config_free(config);

    /* DC addresses may be IPv6, bracketed or not; a host that is no address and resolves to
     * none is refused. */
    REQUIRE(tg_config_new(&config) == TG_RESULT_OK);
    CHECK_RC(tg_config_add_dc(config, 1, "::1", 443), TG_RESULT_OK);
    CHECK_RC(tg_config_add_dc(config, 2, "[::1]", 443), TG_RESULT_OK);
    CHECK_RC(tg_config_add_dc(config, 3, "not an address::", 443), TG_RESULT_INVALID_ARGUMENT);
    tg_client *client6 = NULL;
    CHECK_RC(tg_client_new(config, &client6), TG_RESULT_OK);
    tg_client_free(client6);
    tg_config_free(config);

    CHECK_RC(tg_set_log_callback(NULL, NULL, -1), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_set_log_callback(NULL, NULL, 6), TG_RESULT_INVALID_ARGUMENT);

    tg_testdc *dc = NULL;
    CHECK_RC(tg_testdc_start("not json", &dc), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_testdc_start("{\"no_such_option\":1}", &dc), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_testdc_start("{\"dcs\":\"three\"}", &dc), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_testdc_start("{\"faults\":\"no-such-fault=0.5\"}", &dc), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_testdc_start("{\"key_pem\":\"not a key\"}", &dc), TG_RESULT_INVALID_ARGUMENT);
    CHECK(dc == NULL);
    CHECK_INT(atomic_load(&g_unexpected_callbacks), 0);
}

static void test_code_settings_checks(void) {
    tg_client *client = client_home(1);
    REQUIRE(client);
    uint64_t id = 0;
    tg_code_settings s;
    tg_bytes tokens[65];
    memset(tokens, 0, sizeof tokens);
    static const uint8_t byte = 1;
    static uint8_t big[1025];
    for (int i = 0; i < 65; i++) {
        tokens[i].data = &byte;
        tokens[i].len = 1;
    }
#define REFUSED(settings_ptr)                                                               \
    CHECK_RC(tg_send_code(client, "+9996610002", g_info.api_id, g_info.api_hash, settings_ptr, \
                          never_called, NULL, &id),                                         \
             TG_RESULT_INVALID_ARGUMENT)
    memset(&s, 0, sizeof s);
    s.logout_tokens_len = 1; /* with NULL tokens */
    REFUSED(&s);
    memset(&s, 0, sizeof s);
    s.logout_tokens = tokens;
    s.logout_tokens_len = 65; /* more than 64 */
    REFUSED(&s);
    tokens[0].data = big;
    tokens[0].len = sizeof big; /* more than 1 KiB */
    s.logout_tokens_len = 1;
    REFUSED(&s);
    tokens[0].data = NULL;
    tokens[0].len = 3; /* NULL data with a length */
    REFUSED(&s);
    memset(&s, 0, sizeof s);
    s.token = "token"; /* token without app_sandbox */
    REFUSED(&s);
    memset(&s, 0, sizeof s);
    s.app_sandbox = 1; /* app_sandbox without token */
    REFUSED(&s);
    s.token = "token";
    s.app_sandbox = 3; /* out of range */
    REFUSED(&s);
    s.app_sandbox = -1;
    REFUSED(&s);
#undef REFUSED
    CHECK_INT(atomic_load(&g_unexpected_callbacks), 0);

    /* Valid settings go through, and the settings need not outlive the call. */
    tokens[0].data = NULL;
    tokens[0].len = 0; /* an empty token is allowed */
    tg_code_settings *heap = calloc(1, sizeof *heap);
    REQUIRE(heap);
    heap->allow_app_hash = true;
    heap->current_number = true;
    heap->logout_tokens = tokens;
    heap->logout_tokens_len = 64;
    char *token = strdup("push-token");
    heap->token = token;
    heap->app_sandbox = 2;
    tg_result rc;
    h_sync_state *st = h_async_start(client, "+9996610002", g_info.api_id, g_info.api_hash, heap,
                                     &rc, &id);
    free(token);
    free(heap); /* copied at once */
    send_result res = h_async_wait(st, rc, id, WAIT_MS);
    CHECK_COMPLETED(res);
    CHECK(res.out.ok);
    tg_client_free(client);
}

static void test_cancel_misuse(void) {
    silent_listener l;
    REQUIRE(silent_start(&l));
    tg_client *client = silent_client(&l, 60000);
    REQUIRE(client);
    CHECK_RC(tg_cancel(client, 0), TG_RESULT_NOT_FOUND);
    CHECK_RC(tg_cancel(client, UINT64_MAX), TG_RESULT_NOT_FOUND);
    CHECK_RC(tg_cancel(client, 12345), TG_RESULT_NOT_FOUND);
    h_counter counter;
    h_counter_init(&counter);
    h_slot slot = {.counter = &counter};
    uint64_t id = 0;
    CHECK_RC(tg_send_code(client, "+9996610003", 1, "hash", NULL, h_slot_callback, &slot, &id),
             TG_RESULT_OK);
    CHECK_RC(tg_cancel(client, id), TG_RESULT_OK);
    CHECK_RC(tg_cancel(client, id), TG_RESULT_NOT_FOUND); /* twice */
    CHECK_INT(h_counter_wait(&counter, 1, 5000), 1);
    CHECK_RC(tg_cancel(client, id), TG_RESULT_NOT_FOUND); /* and after its callback */
    CHECK_RC(atomic_load(&slot.result), TG_RESULT_CANCELLED);
    tg_client_free(client);
    CHECK_INT(atomic_load(&slot.calls), 1);
    silent_stop(&l);

    /* Cancel after a normal completion: NOT_FOUND, and no second callback. */
    client = client_home(1);
    REQUIRE(client);
    h_slot done = {.counter = &counter};
    CHECK_RC(tg_send_code(client, "+9996610004", g_info.api_id, g_info.api_hash, NULL,
                          h_slot_callback, &done, &id),
             TG_RESULT_OK);
    CHECK_INT(h_counter_wait(&counter, 2, WAIT_MS), 2);
    CHECK_RC(atomic_load(&done.result), TG_RESULT_OK);
    CHECK_RC(tg_cancel(client, id), TG_RESULT_NOT_FOUND);
    /* An id of another client is not found here either. */
    tg_client *other = client_home(1);
    REQUIRE(other);
    CHECK_RC(tg_cancel(other, id), TG_RESULT_NOT_FOUND);
    tg_client_free(other);
    tg_client_free(client);
    CHECK_INT(atomic_load(&done.calls), 1);
    h_counter_destroy(&counter);
}

/* --- tg_client_free from inside a callback ------------------------------------------- */

typedef struct free_ctx {
    tg_client *client;
    h_slot slot;
    atomic_int freed;
    double freed_at;
} free_ctx;

static void free_in_callback(void *user_data, const tg_sent_code *sent, const tg_error *error) {
    free_ctx *ctx = user_data;
    tg_client_free(ctx->client); /* must neither deadlock nor double-call anything */
    ctx->freed_at = h_now();
    atomic_store(&ctx->freed, 1);
    h_slot_callback(&ctx->slot, sent, error);
}

static void test_free_inside_callback_silent(void) {
    /* 19 requests hang on a silent DC; cancelling the 20th frees the client from its
     * callback, which cancels the 19. */
    silent_listener l;
    REQUIRE(silent_start(&l));
    tg_client *client = silent_client(&l, 60000);
    REQUIRE(client);
    enum { N = 19 };
    h_counter counter;
    h_counter_init(&counter);
    h_slot slots[N];
    for (int i = 0; i < N; i++) {
        atomic_store(&slots[i].calls, 0);
        atomic_store(&slots[i].result, -1);
        slots[i].counter = &counter;
        CHECK_RC(tg_send_code(client, "+9996610005", 1, "hash", NULL, h_slot_callback, &slots[i],
                              NULL),
                 TG_RESULT_OK);
    }
    free_ctx ctx = {.client = client, .slot = {.counter = &counter}};
    uint64_t id = 0;
    CHECK_RC(tg_send_code(client, "+9996610005", 1, "hash", NULL, free_in_callback, &ctx, &id),
             TG_RESULT_OK);
    h_sleep_ms(50);
    CHECK_RC(tg_cancel(client, id), TG_RESULT_OK);
    /* The client is gone once the callback runs: do not touch it from here on. */
    CHECK_INT(h_counter_wait(&counter, N + 1, 5000), N + 1);
    CHECK_INT(atomic_load(&ctx.freed), 1);
    CHECK_RC(atomic_load(&ctx.slot.result), TG_RESULT_CANCELLED);
    h_sleep_ms(100);
    CHECK_INT(h_counter_wait(&counter, N + 2, 0), N + 1);
    for (int i = 0; i < N; i++) {
        CHECK_INT(atomic_load(&slots[i].calls), 1);
        CHECK_RC(atomic_load(&slots[i].result), TG_RESULT_CANCELLED);
    }
    CHECK_INT(atomic_load(&ctx.slot.calls), 1);
    h_counter_destroy(&counter);
    silent_stop(&l);
}

static void test_free_inside_callback_result(void) {
    /* 20 requests sleep through FLOOD_WAIT_2; a normal one completes first and frees the
     * client from its callback: the sleepers are cancelled, each called back once. */
    tg_client *client = client_home(1);
    REQUIRE(client);
    enum { N = 20 };
    h_counter counter;
    h_counter_init(&counter);
    h_slot slots[N];
    char phone[32];
    double t0 = h_now();
    for (int i = 0; i < N; i++) {
        atomic_store(&slots[i].calls, 0);
        atomic_store(&slots[i].result, -1);
        slots[i].counter = &counter;
        snprintf(phone, sizeof phone, "+9997707%03d", i);
        CHECK_RC(tg_send_code(client, phone, g_info.api_id, g_info.api_hash, NULL, h_slot_callback,
                              &slots[i], NULL),
                 TG_RESULT_OK);
    }
    free_ctx ctx = {.client = client, .slot = {.counter = &counter}};
    CHECK_RC(tg_send_code(client, "+9996610006", g_info.api_id, g_info.api_hash, NULL,
                          free_in_callback, &ctx, NULL),
             TG_RESULT_OK);
    CHECK_INT(h_counter_wait(&counter, N + 1, 10000), N + 1);
    double done_at = h_now();
    CHECK_INT(atomic_load(&ctx.freed), 1);
    /* Cancelled by the free, not woken by the end of their 2 s sleep. */
    CHECK(done_at - ctx.freed_at < 1.0);
    CHECK_RC(atomic_load(&ctx.slot.result), TG_RESULT_OK);
    int bad = 0;
    for (int i = 0; i < N; i++)
        if (atomic_load(&slots[i].calls) != 1 ||
            atomic_load(&slots[i].result) != (int)TG_RESULT_CANCELLED)
            bad++;
    CHECK_INT(bad, 0);
    /* Past the end of the flood wait: still nothing more. */
    double left = 2.3 - (h_now() - t0);
    if (left > 0) h_sleep_ms((long)(left * 1000));
    CHECK_INT(h_counter_wait(&counter, N + 2, 0), N + 1);
    CHECK_INT(atomic_load(&ctx.slot.calls), 1);
    h_counter_destroy(&counter);
}

/* --- calling the library from inside a callback ------------------------------------- */

typedef struct chain_ctx {
    tg_client *client;
    uint64_t own_id;
    atomic_int step;
    tg_result cancel_own, chained_rc, stats_rc;
    long long stats_calls;
    h_counter *counter;
    h_slot chained;
} chain_ctx;

static void chain_callback(void *user_data, const tg_sent_code *sent, const tg_error *error) {
    chain_ctx *ctx = user_data;
    (void)error;
    /* Its own request is complete: cancelling it finds nothing. */
    ctx->cancel_own = tg_cancel(ctx->client, ctx->own_id);
    /* A new request from inside a callback (never called back inside this call). */
    ctx->chained_rc = tg_send_code(ctx->client, "+9996610011", g_info.api_id, g_info.api_hash,
                                   NULL, h_slot_callback, &ctx->chained, NULL);
    char *json = NULL;
    ctx->stats_rc = tg_testdc_stats_json(g_dc, &json);
    if (json) json_int(json, json + strlen(json), "send_code_calls", &ctx->stats_calls);
    tg_string_free(json);
    atomic_store(&ctx->step, sent ? 1 : 2);
    /* Count this callback last: the main thread may go on once it sees it. */
    pthread_mutex_lock(&ctx->counter->lock);
    ctx->counter->total++;
    pthread_cond_broadcast(&ctx->counter->cond);
    pthread_mutex_unlock(&ctx->counter->lock);
}

static void test_calls_inside_callback(void) {
    tg_client *client = client_home(1);
    REQUIRE(client);
    h_counter counter;
    h_counter_init(&counter);
    chain_ctx ctx = {.client = client, .counter = &counter, .chained = {.counter = &counter}};
    CHECK_RC(tg_send_code(client, "+9996610010", g_info.api_id, g_info.api_hash, NULL,
                          chain_callback, &ctx, &ctx.own_id),
             TG_RESULT_OK);
    CHECK_INT(h_counter_wait(&counter, 2, WAIT_MS), 2);
    CHECK_INT(atomic_load(&ctx.step), 1);
    CHECK_RC(ctx.cancel_own, TG_RESULT_NOT_FOUND);
    CHECK_RC(ctx.chained_rc, TG_RESULT_OK);
    CHECK_RC(ctx.stats_rc, TG_RESULT_OK);
    CHECK(ctx.stats_calls >= 1);
    tg_client_free(client);
    CHECK_INT(atomic_load(&ctx.chained.calls), 1);
    CHECK_RC(atomic_load(&ctx.chained.result), TG_RESULT_OK);
    CHECK_INT(h_counter_wait(&counter, 3, 0), 2);
    h_counter_destroy(&counter);
}

/* --- 8 threads at once ---------------------------------------------------------------- */

enum { SENDERS = 7, PER_SENDER = 40, OWNER_ROUNDS = 6, OWNER_REQUESTS = 4 };

typedef struct sender_ctx {
    tg_client *client;
    int index;
    h_counter *counter;
    h_slot slots[PER_SENDER];
    bool cancelled[PER_SENDER];
    int refused;
    int sync_failures;
} sender_ctx;

static void *sender_thread(void *arg) {
    sender_ctx *ctx = arg;
    char phone[32];
    for (int i = 0; i < PER_SENDER; i++) {
        h_slot *slot = &ctx->slots[i];
        atomic_store(&slot->calls, 0);
        atomic_store(&slot->result, -1);
        slot->counter = ctx->counter;
        snprintf(phone, sizeof phone, "+99966%d%d%03d", 1, ctx->index, i);
        uint64_t id = 0;
        if (tg_send_code(ctx->client, phone, g_info.api_id, g_info.api_hash, NULL, h_slot_callback,
                         slot, &id) != TG_RESULT_OK) {
            ctx->refused++;
            continue;
        }
        if (i % 5 == 0) {
            tg_result r = tg_cancel(ctx->client, id);
            if (r != TG_RESULT_OK && r != TG_RESULT_NOT_FOUND) ctx->refused++;
            ctx->cancelled[i] = true;
        }
        if (i % 10 == 0) {
            /* Mix in synchronous calls and cheap queries. */
            send_result res = send_code_sync(ctx->client, phone, g_info.api_id, g_info.api_hash,
                                             NULL, WAIT_MS);
            if (!res.completed || !res.out.ok || res.out.calls != 1) ctx->sync_failures++;
            if (!tg_result_str(TG_RESULT_RPC) || !tg_code_type_str(TG_CODE_TYPE_SMS))
                ctx->sync_failures++;
            char *json = NULL;
            if (tg_testdc_codes_json(g_dc, phone, &json) != TG_RESULT_OK) ctx->sync_failures++;
            tg_string_free(json);
        }
    }
    return NULL;
}

typedef struct owner_ctx {
    h_counter counter;
    h_slot slots[OWNER_ROUNDS][OWNER_REQUESTS];
    int failures;
} owner_ctx;

static void *owner_thread(void *arg) {
    owner_ctx *ctx = arg;
    char phone[32];
    for (int round = 0; round < OWNER_ROUNDS; round++) {
        tg_client *client = client_home(1 + round % 3);
        if (!client) {
            ctx->failures++;
            continue;
        }
        for (int i = 0; i < OWNER_REQUESTS; i++) {
            h_slot *slot = &ctx->slots[round][i];
            atomic_store(&slot->calls, 0);
            atomic_store(&slot->result, -1);
            slot->counter = &ctx->counter;
            snprintf(phone, sizeof phone, "+99966%d8%d%02d", 1 + round % 3, round, i);
            if (tg_send_code(client, phone, g_info.api_id, g_info.api_hash, NULL, h_slot_callback,
                             slot, NULL) != TG_RESULT_OK)
                ctx->failures++;
        }
        if (round % 2) h_sleep_ms(30); /* sometimes let a few complete */
        tg_client_free(client);        /* the rest are cancelled; all have returned now */
        for (int i = 0; i < OWNER_REQUESTS; i++) {
            int calls = atomic_load(&ctx->slots[round][i].calls);
            int result = atomic_load(&ctx->slots[round][i].result);
            if (calls != 1 || (result != (int)TG_RESULT_OK && result != (int)TG_RESULT_CANCELLED))
                ctx->failures++;
        }
    }
    return NULL;
}

static void test_eight_threads(void) {
    tg_client *shared = client_home(1);
    REQUIRE(shared);
    h_counter counter;
    h_counter_init(&counter);
    static sender_ctx senders[SENDERS];
    static owner_ctx owner;
    memset(senders, 0, sizeof senders);
    memset(&owner, 0, sizeof owner);
    h_counter_init(&owner.counter);
    pthread_t threads[SENDERS + 1];
    for (int t = 0; t < SENDERS; t++) {
        senders[t].client = shared;
        senders[t].index = t;
        senders[t].counter = &counter;
        CHECK(pthread_create(&threads[t], NULL, sender_thread, &senders[t]) == 0);
    }
    CHECK(pthread_create(&threads[SENDERS], NULL, owner_thread, &owner) == 0);
    for (int t = 0; t <= SENDERS; t++) pthread_join(threads[t], NULL);
    CHECK_INT(h_counter_wait(&counter, SENDERS * PER_SENDER, WAIT_MS), SENDERS * PER_SENDER);
    tg_client_free(shared);
    CHECK_INT(h_counter_wait(&counter, SENDERS * PER_SENDER + 1, 0), SENDERS * PER_SENDER);
    for (int t = 0; t < SENDERS; t++) {
        CHECK_INT(senders[t].refused, 0);
        CHECK_INT(senders[t].sync_failures, 0);
        int bad = 0;
        for (int i = 0; i < PER_SENDER; i++) {
            int calls = atomic_load(&senders[t].slots[i].calls);
            int result = atomic_load(&senders[t].slots[i].result);
            bool cancelled_ok = senders[t].cancelled[i] && result == (int)TG_RESULT_CANCELLED;
            if (calls != 1 || (result != (int)TG_RESULT_OK && !cancelled_ok)) bad++;
        }
        CHECK_INT(bad, 0);
    }
    CHECK_INT(owner.failures, 0);
    CHECK_INT(h_counter_wait(&owner.counter, OWNER_ROUNDS * OWNER_REQUESTS + 1, 0),
              OWNER_ROUNDS * OWNER_REQUESTS);
    h_counter_destroy(&owner.counter);
    h_counter_destroy(&counter);
}

/* --- static strings ------------------------------------------------------------------- */

static void test_result_str(void) {
    static const char *const names[] = {
        "ok", "invalid argument", "RPC error", "network error", "timed out", "cancelled",
        "security check failed", "session error", "internal error", "not found",
        "protocol error", "I/O error",
    };
    for (unsigned r = TG_RESULT_OK; r <= TG_RESULT_IO; r++) {
        const char *s = tg_result_str((tg_result)r);
        CHECK(s != NULL);
        if (!s) continue;
        CHECK(s[0] != '\0');
        CHECK(s == tg_result_str((tg_result)r)); /* static */
        CHECK_STR(s, names[r]);
        for (unsigned q = 0; q < r; q++) CHECK(strcmp(s, tg_result_str((tg_result)q)) != 0);
    }
    /* Values are never renumbered. */
    CHECK_INT(TG_RESULT_OK, 0);
    CHECK_INT(TG_RESULT_INVALID_ARGUMENT, 1);
    CHECK_INT(TG_RESULT_RPC, 2);
    CHECK_INT(TG_RESULT_NETWORK, 3);
    CHECK_INT(TG_RESULT_TIMEOUT, 4);
    CHECK_INT(TG_RESULT_CANCELLED, 5);
    CHECK_INT(TG_RESULT_SECURITY, 6);
    CHECK_INT(TG_RESULT_SESSION, 7);
    CHECK_INT(TG_RESULT_INTERNAL, 8);
    CHECK_INT(TG_RESULT_NOT_FOUND, 9);
    CHECK_INT(TG_RESULT_PROTOCOL, 10);
    CHECK_INT(TG_RESULT_IO, 11);
    const char *v = tg_version();
    CHECK(v != NULL);
    if (v) CHECK_STR(v, "0.1.0");
}

static void test_code_type_str(void) {
    static const char *const names[] = {
        "", "app", "sms", "call", "flash_call", "missed_call", "email_code",
        "set_up_email_required", "fragment_sms", "firebase_sms", "sms_word", "sms_phrase",
    };
    for (unsigned t = TG_CODE_TYPE_NONE; t <= TG_CODE_TYPE_SMS_PHRASE; t++) {
        const char *s = tg_code_type_str((tg_code_type)t);
        CHECK(s != NULL);
        if (s) CHECK_STR(s, names[t]);
    }
}

/* --- out-of-range enum values --------------------------------------------------------- */

/* In C11 tg_result and tg_code_type are uint32_t typedefs, so a C caller can pass any
 * value. The functions must not read out of bounds or return garbage for one. Run in a
 * child process: out of range, the library has crashed (see the report). */
static const uint32_t OUT_OF_RANGE[] = {12, 13, 100, 0x7fffffffu, UINT32_MAX};

static void result_str_out_of_range(void) {
    for (size_t i = 0; i < sizeof OUT_OF_RANGE / sizeof OUT_OF_RANGE[0]; i++) {
        const char *s = tg_result_str((tg_result)OUT_OF_RANGE[i]);
        CHECK(s != NULL);
        if (s) CHECK(strnlen(s, 64) < 64);
    }
}

static void code_type_str_out_of_range(void) {
    for (size_t i = 0; i < sizeof OUT_OF_RANGE / sizeof OUT_OF_RANGE[0]; i++) {
        const char *s = tg_code_type_str((tg_code_type)OUT_OF_RANGE[i]);
        CHECK(s != NULL);
        if (s) CHECK(strnlen(s, 64) < 64);
    }
}

static void test_out_of_range_enums(void) {
    IN_CHILD(result_str_out_of_range);
    IN_CHILD(code_type_str_out_of_range);
}

/* --- log sink ------------------------------------------------------------------------- */

static atomic_int g_log_lines, g_log_bad;

static void log_sink(void *user_data, int32_t level, const char *target, const char *message) {
    if (user_data != &g_log_lines || level < 1 || level > 5 || !target || !message)
        atomic_fetch_add(&g_log_bad, 1);
    atomic_fetch_add(&g_log_lines, 1);
}

static void test_log_callback(void) {
    atomic_store(&g_log_lines, 0);
    atomic_store(&g_log_bad, 0);
    CHECK_RC(tg_set_log_callback(log_sink, &g_log_lines, 5), TG_RESULT_OK);
    tg_client *client = client_home(1);
    if (client) {
        send_result res = send_code_sync(client, "+9996610007", g_info.api_id, g_info.api_hash,
                                         NULL, WAIT_MS);
        CHECK(res.out.ok);
        tg_client_free(client);
    }
    CHECK(atomic_load(&g_log_lines) > 0);
    CHECK_RC(tg_set_log_callback(NULL, NULL, 5), TG_RESULT_OK);
    int lines = atomic_load(&g_log_lines);
    client = client_home(1);
    if (client) {
        send_result res = send_code_sync(client, "+9996610008", g_info.api_id, g_info.api_hash,
                                         NULL, WAIT_MS);
        CHECK(res.out.ok);
        tg_client_free(client);
    }
    CHECK_INT(atomic_load(&g_log_lines), lines); /* none after removal */
    CHECK_INT(atomic_load(&g_log_bad), 0);
}

static void test_config_is_copied(void) {
    /* The configuration may be freed (or changed) right after tg_client_new. */
    tg_config *config = testdc_config(&g_info, 1, true);
    REQUIRE(config);
    tg_client *client = NULL;
    CHECK_RC(tg_client_new(config, &client), TG_RESULT_OK);
    CHECK_RC(tg_config_add_dc(config, 1, "127.0.0.1", 1), TG_RESULT_OK); /* not seen by client */
    tg_client *client2 = NULL;
    CHECK_RC(tg_client_new(config, &client2), TG_RESULT_OK); /* one config, two clients */
    tg_config_free(config);
    REQUIRE(client);
    send_result res = send_code_sync(client, "+9996610009", g_info.api_id, g_info.api_hash, NULL,
                                     WAIT_MS);
    CHECK_COMPLETED(res);
    CHECK(res.out.ok);
    tg_client_free(client);
    tg_client_free(client2);
}

/* tg_testdc_start(NULL, ...) means the defaults, with a fresh RSA key: that takes seconds
 * under ASan, so it runs on a thread from the start of main and is checked last. */
static pthread_t g_default_dc_thread;
static tg_result g_default_dc_rc = TG_RESULT_INTERNAL;
static tg_testdc *g_default_dc;

static void *start_default_dc(void *arg) {
    (void)arg;
    g_default_dc_rc = tg_testdc_start(NULL, &g_default_dc);
    return NULL;
}

static bool g_default_dc_joined;

static void join_default_dc(void) {
    if (!g_default_dc_joined) pthread_join(g_default_dc_thread, NULL);
    g_default_dc_joined = true;
}

static void test_testdc_default_options(void) {
    join_default_dc();
    CHECK_RC(g_default_dc_rc, TG_RESULT_OK);
    REQUIRE(g_default_dc);
    testdc_info info;
    CHECK(testdc_info_parse(tg_testdc_info_json(g_default_dc), &info));
    CHECK_INT(info.ndcs, 3); /* the default */
    tg_client *client = client_from(testdc_config(&info, 2, true));
    if (client) {
        send_result res = send_code_sync(client, "+9996620001", info.api_id, info.api_hash, NULL,
                                         WAIT_MS);
        CHECK_COMPLETED(res);
        CHECK(res.out.ok);
        tg_client_free(client);
    }
    tg_testdc_stop(g_default_dc);
    g_default_dc = NULL;
    testdc_info_free(&info);
}

int main(int argc, char **argv) {
    static const h_test tests[] = {
        {"null_pointers", test_null_pointers},
        {"invalid_utf8", test_invalid_utf8},
        {"huge_strings", test_huge_strings},
        {"bad_numbers_and_ranges", test_bad_numbers_and_ranges},
        {"code_settings_checks", test_code_settings_checks},
        {"cancel_misuse", test_cancel_misuse},
        {"free_inside_callback_silent", test_free_inside_callback_silent},
        {"free_inside_callback_result", test_free_inside_callback_result},
        {"calls_inside_callback", test_calls_inside_callback},
        {"eight_threads", test_eight_threads},
        {"result_str", test_result_str},
        {"code_type_str", test_code_type_str},
        {"out_of_range_enums", test_out_of_range_enums},
        {"log_callback", test_log_callback},
        {"config_is_copied", test_config_is_copied},
        {"testdc_default_options", test_testdc_default_options},
    };
    if (pthread_create(&g_default_dc_thread, NULL, start_default_dc, NULL) != 0) return 1;
    g_dc = testdc_start_with("\"dcs\":3,\"code_limit\":0", &g_info);
    if (!g_dc) {
        printf("[ RUN  ] testdc_start\n[ FAIL ] testdc_start\n");
        return 1;
    }
    int rc = h_run(argc, argv, tests, sizeof tests / sizeof tests[0], 120);
    join_default_dc(); /* when a filter skipped its test */
    tg_testdc_stop(g_default_dc);
    tg_testdc_stop(g_dc);
    testdc_info_free(&g_info);
    return rc;
}
