/* record-json.h — a stored record as the JSON object every read route
 * answers with (docs/rendezvous.md 1.2): GET /v1/peers/KEY, the mesh
 * listing's entries and each message of a watch. */
#pragma once

#include <json-glib/json-glib.h>

#include "store.h"

/* Adds the object (begin to end) to b. */
void rdv_record_json_add (JsonBuilder *b, const RdvStoredRecord *r);
/* The object alone, as text. */
gchar *rdv_record_json_to_string (const RdvStoredRecord *r);
