/* manifests.c -- load Kubernetes objects from files and directories. */
#include "cloudctl/manifests.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/strv.h"
#include "core/yaml.h"
#include "core/banned.h"

static cc_err
add(struct cc_manifests *m, cJSON *obj, const char *file, int index, struct cc_diag *d)
{
        char src[4200];
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
        const cJSON *api = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");

        if (index > 0)
                snprintf(src, sizeof(src), "%s#%d", file, index + 1);
        else
                snprintf(src, sizeof(src), "%s", file);
        if (!cJSON_IsObject(obj) || !cJSON_IsString(kind) || !cJSON_IsString(api))
                return cc_diag_set(d, CC_INVAL, 0,
                                   "cannot load '%s': document %d is not a Kubernetes object "
                                   "(apiVersion and kind are required)",
                                   file, index + 1);
        if (!cJSON_IsString(name) || !name->valuestring[0])
                return cc_diag_set(d, CC_INVAL, 0,
                                   "cannot load '%s': %s in document %d has no metadata.name", file,
                                   kind->valuestring, index + 1);
        if (CC_GROW(m->items, m->cap, m->n + 1))
                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        m->items[m->n].source = cc_strdup(src);
        if (!m->items[m->n].source)
                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        m->items[m->n].obj = obj;
        m->n++;
        return CC_OK;
}

static cc_err
load_file(struct cc_manifests *m, const char *path, struct cc_diag *d)
{
        cJSON *docs = NULL, *doc;
        cc_err rc = cc_yaml_load_file(path, &docs, d);
        int index = 0;

        if (rc)
                return rc;
        while (!rc && (doc = cJSON_DetachItemFromArray(docs, 0)) != NULL) {
                const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");

                /* a v1 List ("kubectl get -o yaml" output) holds its objects in items */
                if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "List")) {
                        cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items"), *it;

                        while (!rc && items && (it = cJSON_DetachItemFromArray(items, 0)) != NULL) {
                                rc = add(m, it, path, index++, d);
                                if (rc)
                                        cJSON_Delete(it);
                        }
                        cJSON_Delete(doc);
                        continue;
                }
                rc = add(m, doc, path, index++, d);
                if (rc)
                        cJSON_Delete(doc);
        }
        cJSON_Delete(docs);
        return rc;
}

static bool
manifest_name(const char *n)
{
        size_t l = strlen(n);

        return n[0] != '.' &&
               ((l > 5 && !strcmp(n + l - 5, ".yaml")) || (l > 4 && !strcmp(n + l - 4, ".yml")) ||
                (l > 5 && !strcmp(n + l - 5, ".json")));
}

cc_err
cc_manifests_load(struct cc_manifests *m, const char *path, struct cc_diag *d)
{
        struct stat st;
        struct cc_strv files = CC_STRV_INIT;
        struct dirent *e;
        DIR *dir;
        size_t i;
        cc_err rc = CC_OK;

        if (stat(path, &st) != 0)
                return cc_diag_set(d, errno == ENOENT ? CC_NOTFOUND : CC_IO, 0,
                                   "cannot load '%s': %s", path, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return load_file(m, path, d);
        dir = opendir(path);
        if (!dir)
                return cc_diag_set(d, CC_IO, 0, "cannot load '%s': %s", path, strerror(errno));
        while ((e = readdir(dir)) != NULL && !rc)
                if (manifest_name(e->d_name))
                        rc = cc_strv_pushf(&files, "%s/%s", path, e->d_name);
        closedir(dir);
        if (rc) {
                cc_strv_release(&files);
                return cc_diag_set(d, rc, 0, "out of memory");
        }
        cc_strv_sort(&files);
        for (i = 0; i < files.n && !rc; i++)
                rc = load_file(m, files.v[i], d);
        cc_strv_release(&files);
        return rc;
}

void
cc_manifests_release(struct cc_manifests *m)
{
        size_t i;

        for (i = 0; i < m->n; i++) {
                cJSON_Delete(m->items[i].obj);
                cc_free(m->items[i].source);
        }
        cc_free(m->items);
        m->items = NULL;
        m->n = m->cap = 0;
}

const struct cc_manifest *
cc_manifests_next(const struct cc_manifests *m, const char *kind, size_t *i)
{
        while (*i < m->n) {
                const struct cc_manifest *it = &m->items[(*i)++];
                const cJSON *k = cJSON_GetObjectItemCaseSensitive(it->obj, "kind");

                if (!kind || (cJSON_IsString(k) && !strcmp(k->valuestring, kind)))
                        return it;
        }
        return NULL;
}
