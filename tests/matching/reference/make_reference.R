# Reference outputs from R MatchIt (Debian r-cran-matchit 4.5.1) for tests/matching.
# Usage (from the repository root):
#   python tests/matching/reference/export_nsw_cps.py /tmp/nsw_cps.csv
#   Rscript tests/matching/reference/make_reference.R /tmp/nsw_cps.csv tests/matching/reference
suppressPackageStartupMessages(library(MatchIt))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
out <- args[2]
f <- treat ~ age + educ + black + hisp + marr + nodegree + re74 + re75

write_pairs <- function(m, file) {
  mm <- m$match.matrix
  rows <- list()
  for (k in seq_len(ncol(mm))) {
    tr <- as.integer(rownames(mm))
    ct <- suppressWarnings(as.integer(mm[, k]))
    rows[[k]] <- data.frame(treated_id = d$id[tr], control_id = d$id[ct], k = k)
  }
  p <- do.call(rbind, rows)
  write.csv(p[!is.na(p$control_id), ], file.path(out, file), row.names = FALSE)
}

# 1. Default: logistic PS (glm), 1:1 nearest without replacement, m.order = "largest".
m1 <- matchit(f, data = d, method = "nearest")
write.csv(data.frame(id = d$id, distance = sprintf("%.15g", m1$distance)),
          file.path(out, "nsw_cps_distance.csv"), row.names = FALSE, quote = FALSE)
write_pairs(m1, "nsw_cps_pairs_nearest.csv")
s <- summary(m1)
tab <- function(x, when) data.frame(covariate = rownames(x), when = when,
  mean_treated = x[, "Means Treated"], mean_control = x[, "Means Control"],
  std_mean_diff = x[, "Std. Mean Diff."], var_ratio = x[, "Var. Ratio"],
  ecdf_mean = x[, "eCDF Mean"], ecdf_max = x[, "eCDF Max"])
write.csv(rbind(tab(s$sum.all, "before"), tab(s$sum.matched, "after")),
          file.path(out, "nsw_cps_summary_nearest.csv"), row.names = FALSE)

# 2. Linear (logit) distance, 1:1 without replacement.
m2 <- matchit(f, data = d, method = "nearest", distance = "glm", link = "linear.logit")
write_pairs(m2, "nsw_cps_pairs_linear.csv")

# 3. 1:2 with replacement (MatchIt issue #159 concerns this path in 4.5.x).
m3 <- matchit(f, data = d, method = "nearest", replace = TRUE, ratio = 2)
write_pairs(m3, "nsw_cps_pairs_replace2.csv")

# 4. Lalonde-style smallest-first order.
m4 <- matchit(f, data = d, method = "nearest", m.order = "smallest")
write_pairs(m4, "nsw_cps_pairs_smallest.csv")
# 5. 1:2 without replacement (matching in rounds).
m5 <- matchit(f, data = d, method = "nearest", ratio = 2)
write_pairs(m5, "nsw_cps_pairs_ratio2.csv")
cat("MatchIt", as.character(packageVersion("MatchIt")), "\n")
