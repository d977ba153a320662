# Extracts HonestDiD's own example inputs and the results it published, as JSON, for
# tests/did/test_did_sensitivity.py. No HonestDiD code is run: the values are read from
# the package's stored objects (R's base `load`/`lazyLoad` only).
#
# Sources, in github.com/asheshrambachan/HonestDiD:
#   data/BCdata_EventStudy.rda, data/LWdata_EventStudy.rda        (commit 6813f02)
#   README_cache/gfm/unnamed-chunk-{8,10,12}_*.{rdb,rdx}           (commit 6813f02): the
#     README's knitr cache, holding the inputs and the printed results of its examples
#   data/VignetteResults.rda at commit 98ea3e6^ (the package vignette's stored results,
#     removed from the repository in 98ea3e6)
# Usage: Rscript honestdid_extract.R DIR_WITH_THOSE_FILES > honestdid_reference.json
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
num <- function(x) paste0("[", paste(sprintf("%.17g", as.numeric(x)), collapse = ", "), "]")
mat <- function(m) paste0("[", paste(apply(as.matrix(m), 1, num), collapse = ", "), "]")
res <- function(df, key) paste0("{\"lb\": ", num(df$lb), ", \"ub\": ", num(df$ub),
                                ", \"value\": ", num(df[[key]]), ", \"method\": \"",
                                df$method[1], "\", \"delta\": \"", df$Delta[1], "\"}")
chunk <- function(prefix) {
  e <- new.env()
  f <- sub("\\.rdb$", "", list.files(dir, pattern = paste0("^", prefix, "_.*rdb$"), full.names = TRUE))
  lazyLoad(f, envir = e)
  e
}
load(file.path(dir, "BCdata_EventStudy.rda"))
load(file.path(dir, "LWdata_EventStudy.rda"))
load(file.path(dir, "VignetteResults.rda"))
vr <- VignetteResults
c12 <- chunk("unnamed-chunk-12")
es <- get("es", c12)
inf <- es$inf.function$dynamic.inf.func.e
V <- t(inf) %*% inf / nrow(inf) / nrow(inf)
c10 <- chunk("unnamed-chunk-10")
bv <- get("beta_vcv", c10)
c8 <- chunk("unnamed-chunk-8")
cat("{\n")
cat("\"bc\": {\"betahat\": ", num(BCdata_EventStudy$betahat), ", \"sigma\": ", mat(BCdata_EventStudy$sigma),
    ", \"n_pre\": ", length(BCdata_EventStudy$prePeriodIndices), ", \"n_post\": ",
    length(BCdata_EventStudy$postPeriodIndices), ",\n  \"sdrm_clf\": ", res(vr$BC_DeltaSDRM_RobustResults, "Mbar"),
    ",\n  \"sdnb_cf\": ", res(vr$BC_DeltaSDNB_RobustResults, "M"),
    ",\n  \"original\": ", num(c(vr$BC_OriginalResults$lb, vr$BC_OriginalResults$ub)), "},\n", sep = "")
cat("\"lw\": {\"betahat\": ", num(LWdata_EventStudy$betahat), ", \"sigma\": ", mat(LWdata_EventStudy$sigma),
    ", \"n_pre\": ", length(LWdata_EventStudy$prePeriodIndices), ", \"n_post\": ",
    length(LWdata_EventStudy$postPeriodIndices), ", \"l_index\": 17",
    ",\n  \"sd_flci\": ", res(vr$LW_DeltaSD_RobustResults, "M"), "},\n", sep = "")
cat("\"cs\": {\"event_time\": ", num(es$egt), ", \"betahat\": ", num(es$att.egt), ", \"sigma\": ", mat(V),
    ", \"grid_points\": 100,\n  \"rm_clf\": ", res(get("sensitivity_results", c12)$robust_ci, "Mbar"),
    ",\n  \"original\": ", num(c(get("sensitivity_results", c12)$orig_ci$lb, get("sensitivity_results", c12)$orig_ci$ub)),
    "},\n", sep = "")
cat("\"sunab\": {\"event_time\": ", num(bv$cohorts), ", \"betahat\": ", num(bv$beta), ", \"sigma\": ", mat(bv$sigma),
    ", \"grid_points\": 100,\n  \"rm_clf\": ", res(get("sensitivity_results", c10), "Mbar"),
    ",\n  \"original\": ", num(c(get("original_results", c10)$lb, get("original_results", c10)$ub)), "},\n", sep = "")
cat("\"controls\": {\"betahat\": ", num(get("betahat", c8)), ", \"sigma\": ", mat(get("sigma", c8)),
    ", \"n_pre\": 5, \"n_post\": 2}\n", sep = "")
cat("}\n")
