/*
 * A whole Telegram login from C, against a local test DC started in-process: ask for the
 * code, read it from the test DC (a real app would ask the user), sign in, answer the
 * cloud password (2FA) and print who signed in.
 *
 *   cc -Iinclude examples/c/login.c target/release/libtgauth.a -lpthread -ldl -lm
 *   ./a.out [PHONE]
 *
 * The default number, +9996721234, has a cloud password on the test DC, and its home is
 * DC 2 while the client starts on DC 1, so the login also follows a migration.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tgauth.h"

/* The callbacks run on library threads and hand what they got back to main. What they
 * receive is borrowed for the call only, so they copy what main needs. */
struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    bool ok;
    char hash[256];           /* tg_sent_code's phone_code_hash */
    bool password_needed;     /* 401 SESSION_PASSWORD_NEEDED */
    bool sign_up_required;
    char hint[256];
    char who[512];            /* the signed-in user */
};

static void finish(struct waiter *w, const tg_error *error) {
    if (error) {
        w->password_needed = strcmp(error->name, "SESSION_PASSWORD_NEEDED") == 0;
        if (!w->password_needed)
            fprintf(stderr, "error (%s): %d %s: %s\n", tg_result_str(error->result), error->code,
                    error->name, error->message);
    }
    pthread_mutex_lock(&w->lock);
    w->ok = error == NULL;
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void wait_for(struct waiter *w) {
    pthread_mutex_lock(&w->lock);
    while (!w->done) pthread_cond_wait(&w->cond, &w->lock);
    w->done = false;
    pthread_mutex_unlock(&w->lock);
}

static void on_sent(void *user_data, const tg_sent_code *sent, const tg_error *error) {
    struct waiter *w = user_data;
    if (sent) {
        printf("code sent (%s)\n", tg_code_type_str(sent->type));
        snprintf(w->hash, sizeof w->hash, "%s", sent->phone_code_hash);
    }
    finish(w, error);
}

static void on_authorization(void *user_data, const tg_authorization *auth,
                             const tg_error *error) {
    struct waiter *w = user_data;
    if (auth && auth->user) {
        const tg_user *u = auth->user;
        snprintf(w->who, sizeof w->who, "%s %s (id %lld, phone %s%s)", u->first_name,
                 u->last_name, (long long)u->id, u->phone ? u->phone : "hidden",
                 u->bot ? ", a bot" : "");
    }
    w->sign_up_required = auth && auth->sign_up_required;
    finish(w, error);
}

static void on_password_info(void *user_data, const tg_cloud_password *info,
                             const tg_error *error) {
    struct waiter *w = user_data;
    if (info) snprintf(w->hint, sizeof w->hint, "%s", info->hint ? info->hint : "");
    finish(w, error);
}

/* Pulls "key":"value" or "key":number out of the test DC's one-line JSON (enough here). */
static void json_field(const char *json, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(json, pattern);
    out[0] = '\0';
    if (!at) return;
    at += strlen(pattern);
    size_t n = 0;
    if (*at == '"') {
        for (at++; *at && *at != '"' && n + 1 < size; at++) {
            if (at[0] == '\\' && at[1] == 'n') {
                out[n++] = '\n';
                at++;
            } else {
                out[n++] = *at;
            }
        }
    } else {
        while (*at && *at != ',' && *at != '}' && *at != ']' && n + 1 < size) out[n++] = *at++;
    }
    out[n] = '\0';
}

int main(int argc, char **argv) {
    const char *phone = argc > 1 ? argv[1] : "+9996721234";
    tg_testdc *dc = NULL;
    tg_config *config = NULL;
    tg_client *client = NULL;
    struct waiter w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    char api_id[32], api_hash[128], pem[2048], port[16], password[256], code[64];
    tg_result r;

    /* The test DC: its DCs, key, app and the accounts' password come from its info line. */
    if ((r = tg_testdc_start("{\"dcs\":3}", &dc)) != TG_RESULT_OK) goto fail;
    const char *info = tg_testdc_info_json(dc);
    json_field(info, "api_id", api_id, sizeof api_id);
    json_field(info, "api_hash", api_hash, sizeof api_hash);
    json_field(info, "rsa_public_key", pem, sizeof pem);
    json_field(info, "password", password, sizeof password);
    const char *dc1 = strstr(info, "\"id\":1,");
    json_field(dc1 ? dc1 : info, "port", port, sizeof port);

    if ((r = tg_config_new(&config)) != TG_RESULT_OK) goto fail;
    if ((r = tg_config_add_dc(config, 1, "127.0.0.1", (uint16_t)atoi(port))) != TG_RESULT_OK ||
        (r = tg_config_add_rsa_key(config, pem)) != TG_RESULT_OK ||
        (r = tg_config_set_app(config, atoi(api_id), api_hash)) != TG_RESULT_OK ||
        (r = tg_client_new(config, &client)) != TG_RESULT_OK)
        goto fail;
    tg_config_free(config);
    config = NULL;

    /* 1. The code. api_id 0 and api_hash NULL: the configuration's app. */
    if ((r = tg_send_code(client, phone, 0, NULL, NULL, on_sent, &w, NULL)) != TG_RESULT_OK)
        goto fail;
    wait_for(&w);
    if (!w.ok) goto failed;

    /* 2. The user types the code; here the test DC tells it. */
    char *codes = NULL;
    if ((r = tg_testdc_codes_json(dc, phone, &codes)) != TG_RESULT_OK) goto fail;
    const char *last = strrchr(codes, '{');
    json_field(last ? last : codes, "code", code, sizeof code);
    tg_string_free(codes);
    printf("the code is %s\n", code);

    if ((r = tg_sign_in(client, phone, w.hash, code, on_authorization, &w, NULL)) != TG_RESULT_OK)
        goto fail;
    wait_for(&w);

    /* 3. A cloud password: show its hint, then prove it. */
    if (!w.ok && w.password_needed) {
        if ((r = tg_password_info(client, on_password_info, &w, NULL)) != TG_RESULT_OK) goto fail;
        wait_for(&w);
        printf("a cloud password is needed (hint: \"%s\")\n", w.hint);
        if ((r = tg_check_password(client, password, on_authorization, &w, NULL)) != TG_RESULT_OK)
            goto fail;
        wait_for(&w);
    }
    if (w.sign_up_required) {
        fprintf(stderr, "%s has no account yet: sign up with tg_sign_up\n", phone);
        goto failed;
    }
    if (!w.ok) goto failed;

    int64_t id = 0;
    bool bot = false;
    if ((r = tg_client_signed_in(client, &id, &bot)) != TG_RESULT_OK) goto fail;
    printf("signed in as %s\nthe session says: user %lld%s\n", w.who, (long long)id,
           bot ? " (a bot)" : "");

    tg_client_free(client);
    tg_testdc_stop(dc);
    return 0;

failed:
    tg_client_free(client);
    tg_testdc_stop(dc);
    return 1;

fail:
    fprintf(stderr, "tgauth: %s\n", tg_result_str(r));
    tg_config_free(config);
    tg_client_free(client);
    tg_testdc_stop(dc);
    return 2;
}
