/* registry.c -- the providers cloudctl is built with. */
#include <string.h>

#include "providers/provider.h"
#include "providers/gke/gke.h"
#include "core/banned.h"

const struct cc_provider_ops *const cc_providers[] = {
        &cc_gke_provider,
        NULL,
};

const struct cc_provider_ops *
cc_provider_find(const char *name)
{
        const struct cc_provider_ops *const *p;

        for (p = cc_providers; *p; p++)
                if (!strcmp((*p)->name, name))
                        return *p;
        return NULL;
}
