/*
 * The whole login through the C ABI against an in-process test DC (three DCs; the client's
 * home is DC 1, so numbers of DC 2 and 3 migrate): the code, a wrong code, the cloud
 * password, sign-up, bots, resending and cancelling the code, logging out and back in
 * with the future auth token, QR login approved by the test DC and by a second client,
 * exporting the session, and who the session is signed in as.
 */
#include "login_harness.h"

static tg_testdc *g_dc;
static testdc_info g_info;
static char *g_password;  /* the info line's "password" */
static char *g_bot_token; /* the info line's "bot_token" */

static tg_client *client_home(int home) {
    return client_from(testdc_config(&g_info, home, true));
}

/* The digits of a number ("+9996621001" -> 9996621001). */
static int64_t digits_of(const char *phone) {
    int64_t n = 0;
    for (const char *p = phone; *p; p++)
        if (*p >= '0' && *p <= '9') n = n * 10 + (*p - '0');
    return n;
}

/* tg_send_code for `phone`, its hash copied to hash[256]; false on failure. */
static bool send_code_for(tg_client *client, const char *phone, char *hash, h_outcome *out) {
    send_result res = send_code_sync(client, phone, g_info.api_id, g_info.api_hash, NULL,
                                     L_WAIT_MS);
    CHECK_COMPLETED(res);
    if (out) *out = res.out;
    if (!res.out.ok) {
        fprintf(stderr, "  send_code(%s): %d %s: %s\n", phone, res.out.code, res.out.name,
                res.out.message);
        return false;
    }
    snprintf(hash, 256, "%s", res.out.phone_code_hash);
    return true;
}

/* The code the test DC sent to `phone` last. */
static kept_code code_of(const char *phone) {
    kept_codes codes = testdc_codes(g_dc, phone);
    CHECK(codes.count >= 1);
    return codes.last;
}

/* A client signed in as `phone` (a 99966X number); NULL on failure. */
static tg_client *signed_in_client(int home, const char *phone) {
    tg_client *client = client_home(home);
    char hash[256];
    if (!client || !send_code_for(client, phone, hash, NULL)) {
        tg_client_free(client);
        return NULL;
    }
    login_outcome o = sign_in_sync(client, phone, hash, code_of(phone).code);
    CHECK_OK(o);
    if (!o.has_user) {
        tg_client_free(client);
        return NULL;
    }
    return client;
}

/* --- the code ------------------------------------------------------------------------- */

static void test_sign_in_after_migration(void) {
    const char *phone = "+9996621001"; /* registered, home DC 2: the client migrates */
    tg_client *client = client_home(1);
    REQUIRE(client);
    CHECK_RC(tg_client_signed_in(client, NULL, NULL), TG_RESULT_SESSION);
    char hash[256];
    REQUIRE(send_code_for(client, phone, hash, NULL));
    kept_code code = code_of(phone);
    CHECK_INT(code.dc, 2);
    CHECK_STR(code.code, "22222");
    CHECK_STR(code.phone_code_hash, hash);
    login_outcome o = sign_in_sync(client, phone, hash, code.code);
    CHECK_OK(o);
    CHECK(o.has_auth && o.has_user && !o.sign_up_required);
    CHECK_INT(o.user_id, digits_of(phone));
    CHECK(!o.user_bot);
    CHECK_STR(o.first_name, "Test");
    CHECK(!o.phone_null);
    CHECK_STR(o.phone, "9996621001");
    CHECK(o.terms_null);
    int64_t id = 0;
    bool bot = true;
    CHECK_RC(tg_client_signed_in(client, &id, &bot), TG_RESULT_OK);
    CHECK_INT(id, digits_of(phone));
    CHECK(!bot);
    tg_client_free(client);
}

static void test_wrong_code_then_right(void) {
    const char *phone = "+9996611002";
    tg_client *client = client_home(1);
    REQUIRE(client);
    char hash[256];
    REQUIRE(send_code_for(client, phone, hash, NULL));
    login_outcome o = sign_in_sync(client, phone, hash, "12345");
    CHECK_RPC_ERR(o, 400, "PHONE_CODE_INVALID");
    CHECK(!o.has_auth);
    CHECK_RC(tg_client_signed_in(client, NULL, NULL), TG_RESULT_SESSION);
    o = sign_in_sync(client, phone, hash, "11111");
    CHECK_OK(o);
    CHECK_INT(o.user_id, digits_of(phone));
    CHECK_RC(tg_client_signed_in(client, NULL, NULL), TG_RESULT_OK);
    tg_client_free(client);
}

/* --- the cloud password ----------------------------------------------------------------- */

static void test_two_factor(void) {
    const char *phone = "+9996711003"; /* cloud password "secret" */
    tg_client *client = client_home(1);
    REQUIRE(client);
    char hash[256];
    REQUIRE(send_code_for(client, phone, hash, NULL));
    login_outcome o = sign_in_sync(client, phone, hash, code_of(phone).code);
    CHECK_RPC_ERR(o, 401, "SESSION_PASSWORD_NEEDED");
    CHECK_RC(tg_client_signed_in(client, NULL, NULL), TG_RESULT_SESSION);
    o = password_info_sync(client);
    CHECK_OK(o);
    CHECK(o.has_password);
    CHECK(!o.hint_null);
    CHECK_STR(o.hint, "the usual one");
    o = check_password_sync(client, "not the password");
    CHECK_RPC_ERR(o, 400, "PASSWORD_HASH_INVALID");
    CHECK_STR(g_password, "secret");
    o = check_password_sync(client, g_password);
    CHECK_OK(o);
    CHECK(o.has_user);
    CHECK_INT(o.user_id, digits_of(phone));
    int64_t id = 0;
    CHECK_RC(tg_client_signed_in(client, &id, NULL), TG_RESULT_OK);
    CHECK_INT(id, digits_of(phone));
    tg_client_free(client);
}

/* --- sign-up ------------------------------------------------------------------------------ */

static void test_sign_up(void) {
    const char *phone = "+9996831004"; /* no account yet, home DC 3 */
    tg_client *client = client_home(1);
    REQUIRE(client);
    char hash[256];
    h_outcome sent;
    REQUIRE(send_code_for(client, phone, hash, &sent));
    CHECK_INT(sent.type, TG_CODE_TYPE_SMS);
    login_outcome o = sign_in_sync(client, phone, hash, code_of(phone).code);
    CHECK_OK(o);
    CHECK(o.has_auth && !o.has_user && o.sign_up_required);
    CHECK(!o.terms_null);
    CHECK(strlen(o.terms) > 0);
    CHECK_RC(tg_client_signed_in(client, NULL, NULL), TG_RESULT_SESSION);
    o = sign_up_sync(client, phone, hash, "", NULL);
    CHECK_RPC_ERR(o, 400, "FIRSTNAME_INVALID");
    o = sign_up_sync(client, phone, hash, "Ann", "Lee");
    CHECK_OK(o);
    CHECK(o.has_user && !o.sign_up_required);
    CHECK_INT(o.user_id, digits_of(phone));
    CHECK_STR(o.first_name, "Ann");
    CHECK_STR(o.last_name, "Lee");
    CHECK_RC(tg_client_signed_in(client, NULL, NULL), TG_RESULT_OK);
    tg_client_free(client);
}

/* --- bots ---------------------------------------------------------------------------------- */

static void test_bot(void) {
    REQUIRE(g_bot_token && strchr(g_bot_token, ':'));
    int64_t bot_id = strtoll(g_bot_token, NULL, 10);
    CHECK(bot_id > 0);
    tg_client *client = client_home(1);
    REQUIRE(client);
    /* No app anywhere: refused at once. */
    login_outcome o = sign_in_bot_sync(client, g_bot_token, 0, NULL);
    CHECK_REFUSED(o);
    o = sign_in_bot_sync(client, "123:not-the-token", g_info.api_id, g_info.api_hash);
    CHECK_RPC_ERR(o, 400, "ACCESS_TOKEN_INVALID");
    o = sign_in_bot_sync(client, g_bot_token, g_info.api_id, g_info.api_hash);
    CHECK_OK(o);
    CHECK(o.has_user && o.user_bot);
    CHECK_INT(o.user_id, bot_id);
    int64_t id = 0;
    bool bot = false;
    CHECK_RC(tg_client_signed_in(client, &id, &bot), TG_RESULT_OK);
    CHECK_INT(id, bot_id);
    CHECK(bot);
    tg_client_free(client);

    /* The configuration's app: api_id 0, api_hash NULL. */
    tg_config *config = testdc_config(&g_info, 2, true);
    REQUIRE(config);
    CHECK_RC(tg_config_set_app(config, g_info.api_id, g_info.api_hash), TG_RESULT_OK);
    client = client_from(config);
    REQUIRE(client);
    o = sign_in_bot_sync(client, g_bot_token, 0, NULL);
    CHECK_OK(o);
    CHECK(o.user_bot);
    CHECK_INT(o.user_id, bot_id);
    tg_client_free(client);
}

/* --- resend and cancel ---------------------------------------------------------------------- */

static void test_resend_and_cancel(void) {
    const char *phone = "+9996611005";
    tg_client *client = client_home(1);
    REQUIRE(client);
    char hash[256];
    h_outcome first;
    REQUIRE(send_code_for(client, phone, hash, &first));
    login_outcome o = resend_code_sync(client, phone, hash, NULL);
    CHECK_OK(o);
    CHECK(o.sent.ok);
    CHECK_INT(o.sent.type, TG_CODE_TYPE_SMS);
    CHECK_INT(o.sent.type, first.next_type);
    CHECK_STR(o.sent.phone_code_hash, hash);
    o = cancel_code_sync(client, phone, hash);
    CHECK_OK(o);
    o = sign_in_sync(client, phone, hash, "11111");
    CHECK_RPC_ERR(o, 400, "PHONE_CODE_EXPIRED");
    CHECK_RC(tg_client_signed_in(client, NULL, NULL), TG_RESULT_SESSION);
    tg_client_free(client);
}

/* --- log out, and back in with the future auth token ---------------------------------------- */

static void test_log_out_and_back(void) {
    const char *phone = "+9996611006";
    tg_client *client = signed_in_client(1, phone);
    REQUIRE(client);
    login_outcome o = log_out_sync(client);
    CHECK_OK(o);
    CHECK(o.has_token);
    CHECK(o.token_len > 0);
    CHECK_RC(tg_client_signed_in(client, NULL, NULL), TG_RESULT_SESSION);
    /* The session sends the token with the next code request: signed in without a code. */
    send_result res = send_code_sync(client, phone, g_info.api_id, g_info.api_hash, NULL,
                                     L_WAIT_MS);
    CHECK_COMPLETED(res);
    CHECK(res.out.ok);
    CHECK_INT(res.out.kind, TG_SENT_CODE_KIND_SUCCESS);
    int64_t id = 0;
    CHECK_RC(tg_client_signed_in(client, &id, NULL), TG_RESULT_OK);
    CHECK_INT(id, digits_of(phone));
    tg_client_free(client);
}

/* --- QR login ------------------------------------------------------------------------------- */

static void check_login_url(const char *url) {
    static const char prefix[] = "tg://login?token=";
    CHECK(strncmp(url, prefix, sizeof prefix - 1) == 0);
    CHECK(strlen(url) > sizeof prefix + 20);
}

static void test_qr_approved_by_testdc(void) {
    const char *phone = "+9996621007"; /* an account of DC 2: the token migrates */
    tg_client *client = client_home(1);
    REQUIRE(client);
    tg_result rc;
    uint64_t id = 0;
    login_state *s = qr_login_start(client, g_info.api_id, g_info.api_hash, 0, &rc, &id);
    CHECK_RC(rc, TG_RESULT_OK);
    char url[512];
    bool got = rc == TG_RESULT_OK && l_wait_token(s, 1, L_WAIT_MS, url, sizeof url);
    CHECK(got);
    if (got) {
        check_login_url(url);
        CHECK_RC(tg_testdc_accept_login_token(g_dc, url, phone), TG_RESULT_OK);
    }
    login_outcome o = l_end(s, rc, id, L_WAIT_MS);
    CHECK_OK(o);
    CHECK(o.tokens >= 1);
    CHECK_INT(o.tokens_after_final, 0);
    CHECK(o.expires_unix > (int64_t)time(NULL));
    CHECK(o.has_user);
    CHECK_INT(o.user_id, digits_of(phone));
    int64_t who = 0;
    CHECK_RC(tg_client_signed_in(client, &who, NULL), TG_RESULT_OK);
    CHECK_INT(who, digits_of(phone));
    tg_client_free(client);
}

static void test_qr_approved_by_a_client(void) {
    const char *phone = "+9996611008";
    tg_client *scanner = signed_in_client(1, phone);
    REQUIRE(scanner);
    tg_client *client = client_home(1);
    REQUIRE(client);
    /* A malformed token is refused at once; a well-formed unknown one by the DC. */
    login_outcome o = accept_login_token_sync(scanner, "tg://login?token=@@@");
    CHECK_REFUSED(o);
    o = accept_login_token_sync(scanner, "tg://login?token=AAAAAAAAAAAAAAAAAAAAAA");
    CHECK_RPC_ERR(o, 400, "AUTH_TOKEN_INVALID");
    tg_result rc;
    uint64_t id = 0;
    login_state *s = qr_login_start(client, g_info.api_id, g_info.api_hash, 0, &rc, &id);
    CHECK_RC(rc, TG_RESULT_OK);
    char url[512];
    bool got = rc == TG_RESULT_OK && l_wait_token(s, 1, L_WAIT_MS, url, sizeof url);
    CHECK(got);
    if (got) {
        check_login_url(url);
        o = accept_login_token_sync(scanner, url);
        CHECK_OK(o);
    }
    o = l_end(s, rc, id, L_WAIT_MS);
    CHECK_OK(o);
    CHECK(o.tokens >= 1);
    CHECK_INT(o.tokens_after_final, 0);
    CHECK(o.has_user);
    CHECK_INT(o.user_id, digits_of(phone));
    h_sleep_ms(100); /* no on_token after the final callback, even late */
    tg_client_free(client);
    tg_client_free(scanner);
}

static void test_qr_two_factor(void) {
    const char *phone = "+9996711009";
    tg_client *client = client_home(1);
    REQUIRE(client);
    tg_result rc;
    uint64_t id = 0;
    login_state *s = qr_login_start(client, g_info.api_id, g_info.api_hash, 0, &rc, &id);
    char url[512];
    bool got = rc == TG_RESULT_OK && l_wait_token(s, 1, L_WAIT_MS, url, sizeof url);
    CHECK(got);
    if (got) CHECK_RC(tg_testdc_accept_login_token(g_dc, url, phone), TG_RESULT_OK);
    login_outcome o = l_end(s, rc, id, L_WAIT_MS);
    CHECK_RPC_ERR(o, 401, "SESSION_PASSWORD_NEEDED");
    o = check_password_sync(client, g_password);
    CHECK_OK(o);
    CHECK_INT(o.user_id, digits_of(phone));
    tg_client_free(client);
}

static void test_qr_times_out(void) {
    tg_client *client = client_home(1);
    REQUIRE(client);
    tg_result rc;
    uint64_t id = 0;
    login_state *s = qr_login_start(client, g_info.api_id, g_info.api_hash, 1500, &rc, &id);
    login_outcome o = l_end(s, rc, id, L_WAIT_MS);
    CHECK_DONE(o);
    CHECK_RC(o.result, TG_RESULT_TIMEOUT);
    CHECK(o.tokens >= 1);
    CHECK_INT(o.tokens_after_final, 0);
    tg_client_free(client);
}

/* --- the session ------------------------------------------------------------------------------ */

static void test_export_session(void) {
    char *out = NULL;
    tg_client *fresh = client_home(1);
    REQUIRE(fresh);
    /* No key yet. */
    CHECK_RC(tg_client_export_session(fresh, TG_SESSION_FORMAT_TELETHON, &out), TG_RESULT_SESSION);
    CHECK(out == NULL);
    tg_client_free(fresh);

    tg_client *client = signed_in_client(1, "+9996611010");
    REQUIRE(client);
    const uint32_t ok_formats[] = {TG_SESSION_FORMAT_TELETHON, TG_SESSION_FORMAT_GRAMJS};
    char *strings[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        CHECK_RC(tg_client_export_session(client, ok_formats[i], &strings[i]), TG_RESULT_OK);
        CHECK(strings[i] != NULL);
        if (strings[i]) {
            CHECK(strlen(strings[i]) > 100);
            CHECK(strings[i][0] == '1');
        }
    }
    if (strings[0] && strings[1]) CHECK(strcmp(strings[0], strings[1]) != 0);
    /* The Telethon string is the one tg_client_export_session_string gives. */
    CHECK_RC(tg_client_export_session_string(client, &out), TG_RESULT_OK);
    if (out && strings[0]) CHECK_STR(out, strings[0]);
    tg_string_free(out);
    tg_string_free(strings[0]);
    tg_string_free(strings[1]);
    out = NULL;
    /* Pyrogram's string carries the user and the app, mtcute's the user. */
    CHECK_RC(tg_client_export_session(client, TG_SESSION_FORMAT_PYROGRAM, &out), TG_RESULT_OK);
    CHECK(out != NULL && strlen(out) > 300);
    tg_string_free(out);
    out = NULL;
    CHECK_RC(tg_client_export_session(client, TG_SESSION_FORMAT_MTCUTE, &out), TG_RESULT_OK);
    CHECK(out != NULL && strlen(out) > 300);
    tg_string_free(out);
    out = NULL;
    CHECK_RC(tg_client_export_session(client, 4, &out), TG_RESULT_INVALID_ARGUMENT);
    CHECK_RC(tg_client_export_session(client, UINT32_MAX, &out), TG_RESULT_INVALID_ARGUMENT);
    CHECK(out == NULL);
    tg_client_free(client);
}

int main(int argc, char **argv) {
    static const h_test tests[] = {
        {"sign_in_after_migration", test_sign_in_after_migration},
        {"wrong_code_then_right", test_wrong_code_then_right},
        {"two_factor", test_two_factor},
        {"sign_up", test_sign_up},
        {"bot", test_bot},
        {"resend_and_cancel", test_resend_and_cancel},
        {"log_out_and_back", test_log_out_and_back},
        {"qr_approved_by_testdc", test_qr_approved_by_testdc},
        {"qr_approved_by_a_client", test_qr_approved_by_a_client},
        {"qr_two_factor", test_qr_two_factor},
        {"qr_times_out", test_qr_times_out},
        {"export_session", test_export_session},
    };
    g_dc = testdc_start_with("\"dcs\":3,\"code_limit\":0", &g_info);
    if (!g_dc) {
        printf("[ RUN  ] testdc_start\n[ FAIL ] testdc_start\n");
        return 1;
    }
    const char *info = tg_testdc_info_json(g_dc);
    g_password = json_str(info, info + strlen(info), "password");
    g_bot_token = json_str(info, info + strlen(info), "bot_token");
    int rc = h_run(argc, argv, tests, sizeof tests / sizeof tests[0], 300);
    free(g_password);
    free(g_bot_token);
    tg_testdc_stop(g_dc);
    testdc_info_free(&g_info);
    return rc;
}
