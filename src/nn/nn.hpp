// Everything of physcnn::nn in one include: the Module tree, layers, containers, the Graph of model
// files, summary, the p4/p4m group layers.
#pragma once

#include "nn/activation.hpp"
#include "nn/container.hpp"
#include "nn/conv.hpp"
#include "nn/fusion.hpp"
#include "nn/graph.hpp"
#include "nn/group_conv.hpp"
#include "nn/hex_grid.hpp"
#include "nn/hexconv.hpp"
#include "nn/hexconv_p6.hpp"
#include "nn/hexpool.hpp"
#include "nn/layers.hpp"
#include "nn/module.hpp"
#include "nn/summary.hpp"
