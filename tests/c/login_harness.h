/*
 * Synchronous wrappers around the login calls of tgauth's C ABI (tg_sign_in, tg_qr_login,
 * ...), for the tests: each copies what its callback received out of the borrowed structs,
 * counts the callbacks (exactly one is allowed) and notes a callback on the calling thread.
 *
 * Header-only; include after harness.h.
 */
#ifndef TGAUTH_TEST_LOGIN_HARNESS_H
#define TGAUTH_TEST_LOGIN_HARNESS_H

#include "harness.h"

#define L_WAIT_MS 20000

/* Everything a login callback received (any shape), plus the QR tokens seen. */
typedef struct login_outcome {
    tg_result rc;         /* the call's own return */
    bool completed;       /* the final callback ran within the wait */
    int calls;            /* final callbacks (must end up 1 when rc is OK) */
    bool bad_shape;       /* value and error both NULL or both set (where one is required) */
    bool on_caller_thread;
    uint64_t request_id;
    /* the error (result TG_RESULT_OK when none) */
    tg_result result;
    int32_t code;
    char name[128];
    char message[512];
    /* tg_authorization */
    bool has_auth, has_user, sign_up_required, user_bot;
    int64_t user_id, access_hash;
    char first_name[128], last_name[128], username[128], phone[64];
    bool username_null, phone_null;
    char terms[1024];
    bool terms_null;
    size_t future_token_len;
    int32_t relogin_days;
    /* tg_password_info */
    bool has_password, has_recovery, hint_null;
    char hint[128];
    /* tg_log_out: the token */
    bool has_token;
    uint8_t token[512];
    size_t token_len;
    /* tg_sent_code (tg_resend_code) */
    h_outcome sent;
    /* tg_qr_login */
    int tokens;             /* on_token calls */
    int tokens_after_final; /* contract violation */
    char url[512];
    int64_t expires_unix;
} login_outcome;

/* Shared by the caller and the callbacks; freed by whichever lets go last. */
typedef struct login_state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int refs;
    bool done;
    pthread_t caller;
    login_outcome out;
    void (*on_token_hook)(struct login_state *, const char *url); /* optional */
    void *hook_data;
} login_state;

static inline login_state *l_begin(void) {
    login_state *s = calloc(1, sizeof *s);
    if (!s) abort();
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->refs = 2;
    s->caller = pthread_self();
    s->out.result = TG_RESULT_OK;
    return s;
}

static inline void l_unref_locked(login_state *s) {
    if (--s->refs == 0) {
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s);
    } else {
        pthread_mutex_unlock(&s->lock);
    }
}

static inline void l_copy_error(login_outcome *o, const tg_error *error) {
    o->result = error->result;
    o->code = error->code;
    snprintf(o->name, sizeof o->name, "%s", error->name ? error->name : "(null)");
    snprintf(o->message, sizeof o->message, "%s", error->message ? error->message : "(null)");
    if (!error->name || !error->message) o->bad_shape = true;
}

/* Locks, runs before the copy; l_finish counts the call and lets go. */
static inline login_state *l_enter(void *user_data) {
    login_state *s = user_data;
    pthread_mutex_lock(&s->lock);
    s->out.calls++;
    if (pthread_equal(pthread_self(), s->caller)) s->out.on_caller_thread = true;
    return s;
}

static inline void l_finish(login_state *s) {
    if (!s->done) {
        s->done = true;
        pthread_cond_broadcast(&s->cond);
        l_unref_locked(s);
    } else {
        fprintf(stderr, "login harness: a final callback ran more than once\n");
        atomic_fetch_add(&h_failures, 1);
        pthread_mutex_unlock(&s->lock);
    }
}

static inline void l_auth_cb(void *user_data, const tg_authorization *auth,
                             const tg_error *error) {
    login_state *s = l_enter(user_data);
    login_outcome *o = &s->out;
    if ((auth == NULL) == (error == NULL)) o->bad_shape = true;
    if (error) l_copy_error(o, error);
    if (auth) {
        o->has_auth = true;
        o->sign_up_required = auth->sign_up_required;
        o->terms_null = auth->terms_of_service == NULL;
        snprintf(o->terms, sizeof o->terms, "%s",
                 auth->terms_of_service ? auth->terms_of_service : "");
        o->future_token_len = auth->future_auth_token.len;
        o->relogin_days = auth->otherwise_relogin_days;
        if (auth->user) {
            const tg_user *u = auth->user;
            o->has_user = true;
            o->user_id = u->id;
            o->access_hash = u->access_hash;
            o->user_bot = u->bot;
            if (!u->first_name || !u->last_name) o->bad_shape = true;
            snprintf(o->first_name, sizeof o->first_name, "%s", u->first_name ? u->first_name : "");
            snprintf(o->last_name, sizeof o->last_name, "%s", u->last_name ? u->last_name : "");
            o->username_null = u->username == NULL;
            snprintf(o->username, sizeof o->username, "%s", u->username ? u->username : "");
            o->phone_null = u->phone == NULL;
            snprintf(o->phone, sizeof o->phone, "%s", u->phone ? u->phone : "");
        }
        /* Exactly one of a user and a sign-up request. */
        if ((auth->user != NULL) == auth->sign_up_required) o->bad_shape = true;
        if (!auth->sign_up_required && auth->terms_of_service) o->bad_shape = true;
    }
    l_finish(s);
}

static inline void l_done_cb(void *user_data, const tg_error *error) {
    login_state *s = l_enter(user_data);
    if (error) l_copy_error(&s->out, error);
    l_finish(s);
}

static inline void l_password_cb(void *user_data, const tg_cloud_password *info,
                                 const tg_error *error) {
    login_state *s = l_enter(user_data);
    login_outcome *o = &s->out;
    if ((info == NULL) == (error == NULL)) o->bad_shape = true;
    if (error) l_copy_error(o, error);
    if (info) {
        o->has_password = info->has_password;
        o->has_recovery = info->has_recovery;
        o->hint_null = info->hint == NULL;
        snprintf(o->hint, sizeof o->hint, "%s", info->hint ? info->hint : "");
    }
    l_finish(s);
}

static inline void l_log_out_cb(void *user_data, const tg_bytes *token, const tg_error *error) {
    login_state *s = l_enter(user_data);
    login_outcome *o = &s->out;
    if ((token == NULL) == (error == NULL)) o->bad_shape = true;
    if (error) l_copy_error(o, error);
    if (token) {
        o->has_token = true;
        o->token_len = token->len;
        if (token->len > 0 && !token->data) o->bad_shape = true;
        if (token->data && token->len <= sizeof o->token) memcpy(o->token, token->data, token->len);
    }
    l_finish(s);
}

static inline void l_sent_cb(void *user_data, const tg_sent_code *sent, const tg_error *error) {
    login_state *s = l_enter(user_data);
    h_capture(&s->out.sent, sent, error);
    if (error) l_copy_error(&s->out, error);
    if (s->out.sent.both_null || s->out.sent.both_set) s->out.bad_shape = true;
    l_finish(s);
}

static inline void l_token_cb(void *user_data, const char *url, int64_t expires_unix) {
    login_state *s = user_data;
    pthread_mutex_lock(&s->lock);
    if (s->done) s->out.tokens_after_final++;
    s->out.tokens++;
    snprintf(s->out.url, sizeof s->out.url, "%s", url ? url : "(null)");
    s->out.expires_unix = expires_unix;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* Waits up to wait_ms for the final callback (only when rc is OK) and lets go. */
static inline login_outcome l_end(login_state *s, tg_result rc, uint64_t id, long wait_ms) {
    s->out.rc = rc;
    s->out.request_id = id;
    double deadline = h_now() + (double)wait_ms / 1000.0;
    pthread_mutex_lock(&s->lock);
    if (rc != TG_RESULT_OK) {
        s->refs--; /* the callback must never come */
    } else {
        while (!s->done && h_now() < deadline) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 20 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        }
    }
    s->out.completed = s->done;
    login_outcome out = s->out;
    l_unref_locked(s);
    return out;
}

/* Waits until on_token ran at least `n` times (or the final callback came); false on
 * timeout. The URL seen last is copied to url. */
static inline bool l_wait_token(login_state *s, int n, long wait_ms, char *url, size_t size) {
    double deadline = h_now() + (double)wait_ms / 1000.0;
    pthread_mutex_lock(&s->lock);
    while (s->out.tokens < n && !s->done && h_now() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    bool got = s->out.tokens >= n;
    snprintf(url, size, "%s", s->out.url);
    pthread_mutex_unlock(&s->lock);
    return got;
}

/* --- one synchronous wrapper per call ------------------------------------------------- */

static inline login_outcome sign_in_sync(tg_client *c, const char *phone, const char *hash,
                                         const char *code) {
    login_state *s = l_begin();
    uint64_t id = 0;
    tg_result rc = tg_sign_in(c, phone, hash, code, l_auth_cb, s, &id);
    return l_end(s, rc, id, L_WAIT_MS);
}

static inline login_outcome sign_up_sync(tg_client *c, const char *phone, const char *hash,
                                         const char *first, const char *last) {
    login_state *s = l_begin();
    uint64_t id = 0;
    tg_result rc = tg_sign_up(c, phone, hash, first, last, l_auth_cb, s, &id);
    return l_end(s, rc, id, L_WAIT_MS);
}

static inline login_outcome check_password_sync(tg_client *c, const char *password) {
    login_state *s = l_begin();
    uint64_t id = 0;
    tg_result rc = tg_check_password(c, password, l_auth_cb, s, &id);
    return l_end(s, rc, id, L_WAIT_MS);
}

static inline login_outcome password_info_sync(tg_client *c) {
    login_state *s = l_begin();
    uint64_t id = 0;
    tg_result rc = tg_password_info(c, l_password_cb, s, &id);
    return l_end(s, rc, id, L_WAIT_MS);
}

static inline login_outcome sign_in_bot_sync(tg_client *c, const char *token, int32_t api_id,
                                             const char *api_hash) {
    login_state *s = l_begin();
    uint64_t id = 0;
    tg_result rc = tg_sign_in_bot(c, token, api_id, api_hash, l_auth_cb, s, &id);
    return l_end(s, rc, id, L_WAIT_MS);
}

static inline login_outcome resend_code_sync(tg_client *c, const char *phone, const char *hash,
                                             const char *reason) {
    login_state *s = l_begin();
    uint64_t id = 0;
    tg_result rc = tg_resend_code(c, phone, hash, reason, l_sent_cb, s, &id);
    return l_end(s, rc, id, L_WAIT_MS);
}

static inline login_outcome cancel_code_sync(tg_client *c, const char *phone, const char *hash) {
    login_state *s = l_begin();
    uint64_t id = 0;
    tg_result rc = tg_cancel_code(c, phone, hash, l_done_cb, s, &id);
    return l_end(s, rc, id, L_WAIT_MS);
}

static inline login_outcome log_out_sync(tg_client *c) {
    login_state *s = l_begin();
    uint64_t id = 0;
    tg_result rc = tg_log_out(c, l_log_out_cb, s, &id);
    return l_end(s, rc, id, L_WAIT_MS);
}

static inline login_outcome accept_login_token_sync(tg_client *c, const char *url) {
    login_state *s = l_begin();
    uint64_t id = 0;
    tg_result rc = tg_accept_login_token(c, url, l_done_cb, s, &id);
    return l_end(s, rc, id, L_WAIT_MS);
}

/* Starts tg_qr_login; *rc and *id get its return and request id. Finish with l_end. */
static inline login_state *qr_login_start(tg_client *c, int32_t api_id, const char *api_hash,
                                          uint32_t wait_ms, tg_result *rc, uint64_t *id) {
    login_state *s = l_begin();
    *rc = tg_qr_login(c, api_id, api_hash, wait_ms, l_token_cb, l_auth_cb, s, id);
    return s;
}

/* A completed call with the contract kept: one final callback, on a library thread, of a
 * valid shape. */
#define CHECK_DONE(o)                                                               \
    do {                                                                            \
        CHECK_RC((o).rc, TG_RESULT_OK);                                             \
        CHECK((o).completed);                                                       \
        CHECK_INT((o).calls, 1);                                                    \
        CHECK(!(o).bad_shape);                                                      \
        CHECK(!(o).on_caller_thread);                                               \
    } while (0)

/* Completed successfully. */
#define CHECK_OK(o)                                                                 \
    do {                                                                            \
        CHECK_DONE(o);                                                              \
        CHECK_RC((o).result, TG_RESULT_OK);                                         \
        if ((o).result != TG_RESULT_OK)                                             \
            fprintf(stderr, "  error: %d %s: %s\n", (o).code, (o).name, (o).message); \
    } while (0)

/* Completed with the RPC error code/name. */
#define CHECK_RPC_ERR(o, want_code, want_name)                                      \
    do {                                                                            \
        CHECK_DONE(o);                                                              \
        CHECK_RC((o).result, TG_RESULT_RPC);                                        \
        CHECK_INT((o).code, (want_code));                                           \
        CHECK_STR((o).name, (want_name));                                           \
        CHECK((o).message[0] != '\0');                                              \
    } while (0)

/* Refused at once (INVALID_ARGUMENT, no callback). */
#define CHECK_REFUSED(o)                                                            \
    do {                                                                            \
        CHECK_RC((o).rc, TG_RESULT_INVALID_ARGUMENT);                               \
        CHECK_INT((o).calls, 0);                                                    \
    } while (0)

#endif /* TGAUTH_TEST_LOGIN_HARNESS_H */
