// Reference convolution kernels: direct loops that read like the formulas, float and double.
// The oracle for the fast kernels; also the path for float64 (gradient checks, physics).
#include <algorithm>

#include "core/parallel.hpp"
#include "kernels/conv.hpp"

namespace physcnn::kernels {

namespace {
// Items per thread chunk such that a chunk holds at least ~64k multiply-adds: the gradient
// checks call these kernels thousands of times on tiny tensors, where waking threads costs
// more than the arithmetic.
int64_t grain_for(int64_t macs_per_item) {
  return std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, macs_per_item));
}
}  // namespace

// x (N,IC,IH,IW), w (OC,IC/G,KH,KW), b (OC) or null -> y (N,OC,OH,OW)
template <class T>
void conv2d_forward_reference(const Conv2dDesc& d, const T* x, const T* w, const T* b, T* y) {
  const int64_t icg = d.IC / d.G, ocg = d.OC / d.G;
  parallel_for(0, d.N * d.OC, grain_for(d.OH * d.OW * icg * d.KH * d.KW),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t noc = lo; noc < hi; ++noc) {
                   const int64_t n = noc / d.OC, oc = noc % d.OC, g = oc / ocg;
                   for (int64_t oh = 0; oh < d.OH; ++oh)
                     for (int64_t ow = 0; ow < d.OW; ++ow) {
                       double acc = b ? double(b[oc]) : 0.0;  // the oracle accumulates in double
                       for (int64_t icl = 0; icl < icg; ++icl) {
                         const int64_t ic = g * icg + icl;
                         for (int64_t kh = 0; kh < d.KH; ++kh) {
                           const int64_t ih = oh * d.SH - d.PH[0] + kh * d.DH;
                           if (ih < 0 || ih >= d.IH) continue;
                           for (int64_t kw = 0; kw < d.KW; ++kw) {
                             const int64_t iw = ow * d.SW - d.PW[0] + kw * d.DW;
                             if (iw < 0 || iw >= d.IW) continue;
                             acc += w[((oc * icg + icl) * d.KH + kh) * d.KW + kw] *
                                    x[((n * d.IC + ic) * d.IH + ih) * d.IW + iw];
                           }
                         }
                       }
                       y[((n * d.OC + oc) * d.OH + oh) * d.OW + ow] = static_cast<T>(acc);
                     }
                 }
               });
}

// dx[n,ic,ih,iw] = sum over (oc in group, kh, kw) with ih = oh*SH - PH[0] + kh*DH (and the
// same for w) of w[oc,ic',kh,kw] * dy[n,oc,oh,ow]: the forward's sum read backwards, gathered
// per input pixel so that threads never write the same element.
// dy (N,OC,OH,OW), w (OC,IC/G,KH,KW) -> dx (N,IC,IH,IW)
template <class T>
void conv2d_backward_data_reference(const Conv2dDesc& d, const T* dy, const T* w, T* dx) {
  const int64_t icg = d.IC / d.G, ocg = d.OC / d.G;
  parallel_for(0, d.N * d.IC, grain_for(d.IH * d.IW * ocg * d.KH * d.KW),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t nic = lo; nic < hi; ++nic) {
                   const int64_t n = nic / d.IC, ic = nic % d.IC, g = ic / icg, icl = ic % icg;
                   for (int64_t ih = 0; ih < d.IH; ++ih)
                     for (int64_t iw = 0; iw < d.IW; ++iw) {
                       double acc = 0.0;
                       for (int64_t kh = 0; kh < d.KH; ++kh) {
                         const int64_t th = ih + d.PH[0] - kh * d.DH;  // = oh * SH
                         if (th < 0 || th % d.SH != 0 || th / d.SH >= d.OH) continue;
                         const int64_t oh = th / d.SH;
                         for (int64_t kw = 0; kw < d.KW; ++kw) {
                           const int64_t tw = iw + d.PW[0] - kw * d.DW;
                           if (tw < 0 || tw % d.SW != 0 || tw / d.SW >= d.OW) continue;
                           const int64_t ow = tw / d.SW;
                           for (int64_t ocl = 0; ocl < ocg; ++ocl) {
                             const int64_t oc = g * ocg + ocl;
                             acc += w[((oc * icg + icl) * d.KH + kh) * d.KW + kw] *
                                    dy[((n * d.OC + oc) * d.OH + oh) * d.OW + ow];
                           }
                         }
                       }
                       dx[((n * d.IC + ic) * d.IH + ih) * d.IW + iw] = static_cast<T>(acc);
                     }
                 }
               });
}

// dw[oc,ic',kh,kw] = sum_{n,oh,ow} dy[n,oc,oh,ow] * x[n,ic, oh*SH-PH[0]+kh*DH, ow*SW-PW[0]+kw*DW]
// db[oc] = sum_{n,oh,ow} dy[n,oc,oh,ow]
// x (N,IC,IH,IW), dy (N,OC,OH,OW) -> dw (OC,IC/G,KH,KW), db (OC) or null
template <class T>
void conv2d_backward_weight_reference(const Conv2dDesc& d, const T* x, const T* dy, T* dw, T* db) {
  const int64_t icg = d.IC / d.G, ocg = d.OC / d.G;
  parallel_for(0, d.OC, grain_for(d.N * d.OH * d.OW * icg * d.KH * d.KW),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t oc = lo; oc < hi; ++oc) {
                   const int64_t g = oc / ocg;
                   for (int64_t icl = 0; icl < icg; ++icl) {
                     const int64_t ic = g * icg + icl;
                     for (int64_t kh = 0; kh < d.KH; ++kh)
                       for (int64_t kw = 0; kw < d.KW; ++kw) {
                         double acc = 0.0;
                         for (int64_t n = 0; n < d.N; ++n)
                           for (int64_t oh = 0; oh < d.OH; ++oh) {
                             const int64_t ih = oh * d.SH - d.PH[0] + kh * d.DH;
                             if (ih < 0 || ih >= d.IH) continue;
                             for (int64_t ow = 0; ow < d.OW; ++ow) {
                               const int64_t iw = ow * d.SW - d.PW[0] + kw * d.DW;
                               if (iw < 0 || iw >= d.IW) continue;
                               acc += dy[((n * d.OC + oc) * d.OH + oh) * d.OW + ow] *
                                      x[((n * d.IC + ic) * d.IH + ih) * d.IW + iw];
                             }
                           }
                         dw[((oc * icg + icl) * d.KH + kh) * d.KW + kw] = static_cast<T>(acc);
                       }
                   }
                   if (db) {
                     double acc = 0.0;
                     for (int64_t n = 0; n < d.N; ++n) {
                       const T* p = dy + (n * d.OC + oc) * d.OH * d.OW;
                       for (int64_t i = 0; i < d.OH * d.OW; ++i) acc += p[i];
                     }
                     db[oc] = static_cast<T>(acc);
                   }
                 }
               });
}

template void conv2d_forward_reference<float>(const Conv2dDesc&, const float*, const float*,
                                              const float*, float*);
template void conv2d_forward_reference<double>(const Conv2dDesc&, const double*, const double*,
                                               const double*, double*);
template void conv2d_backward_data_reference<float>(const Conv2dDesc&, const float*, const float*,
                                                    float*);
template void conv2d_backward_data_reference<double>(const Conv2dDesc&, const double*,
                                                     const double*, double*);
template void conv2d_backward_weight_reference<float>(const Conv2dDesc&, const float*, const float*,
                                                      float*, float*);
template void conv2d_backward_weight_reference<double>(const Conv2dDesc&, const double*,
                                                       const double*, double*, double*);

}  // namespace physcnn::kernels
