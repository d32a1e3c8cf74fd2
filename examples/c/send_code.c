/*
 * Ask for a Telegram login code from C.
 *
 *   cc -Iinclude examples/c/send_code.c target/release/libtgauth.a -lpthread -ldl -lm
 *   ./a.out [PHONE]
 *
 * With TG_API_ID and TG_API_HASH set it talks to Telegram; otherwise it starts a local
 * test DC in-process and sends the code there.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tgauth.h"

/* The callback runs on a library thread: hand the outcome back to main. */
struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    int done;
    int ok;
};

static void on_sent(void *user_data, const tg_sent_code *sent, const tg_error *error) {
    struct outcome *out = user_data;
    if (sent) {
        printf("code sent: type=%s length=%d next=%s timeout=%d\nphone_code_hash=%s\n",
               tg_code_type_str(sent->type), sent->length, tg_code_type_str(sent->next_type),
               sent->timeout, sent->phone_code_hash);
    } else {
        fprintf(stderr, "error (%s): %d %s value=%lld: %s\n", tg_result_str(error->result),
                error->code, error->name, (long long)error->value, error->message);
    }
    pthread_mutex_lock(&out->lock);
    out->ok = sent != NULL;
    out->done = 1;
    pthread_cond_signal(&out->done_cond);
    pthread_mutex_unlock(&out->lock);
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
            if (at[0] == '\\' && at[1] == 'n') { out[n++] = '\n'; at++; }
            else out[n++] = *at;
        }
    } else {
        while (*at && *at != ',' && *at != '}' && n + 1 < size) out[n++] = *at++;
    }
    out[n] = '\0';
}

int main(int argc, char **argv) {
    const char *phone = argc > 1 ? argv[1] : "+9996621234";
    const char *env_id = getenv("TG_API_ID"), *env_hash = getenv("TG_API_HASH");
    tg_config *config = NULL;
    tg_testdc *dc = NULL;
    char api_hash[128], api_id[32], pem[2048], port[16];
    tg_result r;

    if ((r = tg_config_new(&config)) != TG_RESULT_OK) goto fail;
    if (env_id && env_hash) {
        snprintf(api_id, sizeof api_id, "%s", env_id);
        snprintf(api_hash, sizeof api_hash, "%s", env_hash);
    } else {
        /* A local test DC: its DCs, key and app come from its ready line. */
        if ((r = tg_testdc_start(NULL, &dc)) != TG_RESULT_OK) goto fail;
        const char *info = tg_testdc_info_json(dc);
        json_field(info, "api_id", api_id, sizeof api_id);
        json_field(info, "api_hash", api_hash, sizeof api_hash);
        json_field(info, "rsa_public_key", pem, sizeof pem);
        /* DC 2 is the home of +99966 2xxxx; the client learns the others by migration. */
        const char *dc2 = strstr(info, "\"id\":2,");
        json_field(dc2 ? dc2 : info, "port", port, sizeof port);
        printf("using a local test DC (DC 2 on 127.0.0.1:%s)\n", port);
        if ((r = tg_config_add_dc(config, 2, "127.0.0.1", (uint16_t)atoi(port))) != TG_RESULT_OK) goto fail;
        if ((r = tg_config_add_rsa_key(config, pem)) != TG_RESULT_OK) goto fail;
    }

    tg_client *client = NULL;
    if ((r = tg_client_new(config, &client)) != TG_RESULT_OK) goto fail;
    tg_config_free(config);
    config = NULL;

    struct outcome out = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    tg_code_settings settings = {0};
    settings.allow_app_hash = true;
    r = tg_send_code(client, phone, atoi(api_id), api_hash, &settings, on_sent, &out, NULL);
    if (r != TG_RESULT_OK) {
        tg_client_free(client);
        goto fail;
    }
    pthread_mutex_lock(&out.lock);
    while (!out.done) pthread_cond_wait(&out.done_cond, &out.lock);
    pthread_mutex_unlock(&out.lock);

    tg_client_free(client);
    tg_testdc_stop(dc);
    return out.ok ? 0 : 1;

fail:
    fprintf(stderr, "tgauth: %s\n", tg_result_str(r));
    tg_config_free(config);
    tg_testdc_stop(dc);
    return 2;
}
