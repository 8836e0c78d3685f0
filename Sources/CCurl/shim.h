// libcurl (Debian libcurl4-openssl-dev). Swift must never call a C variadic function, so
// curl_easy_setopt / curl_easy_getinfo / curl_multi_setopt get typed static-inline wrappers here.
#ifndef GRAO_CCURL_SHIM_H
#define GRAO_CCURL_SHIM_H
#include <curl/curl.h>

static inline CURLcode grao_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode grao_easy_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode grao_easy_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode grao_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode grao_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*grao_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode grao_easy_setopt_datacb(CURL *h, CURLoption o, grao_curl_data_cb v) { return curl_easy_setopt(h, o, v); }

static inline CURLcode grao_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode grao_easy_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode grao_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode grao_easy_getinfo_str(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }

static inline CURLMcode grao_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

// CURL_GLOBAL_DEFAULT is a macro expression Swift does not import.
static inline CURLcode grao_global_init_default(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }
// The result of a finished transfer sits in an anonymous union of CURLMsg.
static inline CURLcode grao_msg_result(const CURLMsg *m) { return m->data.result; }
static inline int grao_msg_is_done(const CURLMsg *m) { return m->msg == CURLMSG_DONE; }
#endif
