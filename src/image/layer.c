#include "config.h"

#include "image/layer.h"
