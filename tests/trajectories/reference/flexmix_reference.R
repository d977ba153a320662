# Reference values for evaluation.trajectories from R flexmix (Debian r-cran-flexmix 2.3-18).
# Run from this folder: Rscript flexmix_reference.R
# Writes flexmix_fits.csv (log-likelihood per family and number of groups) and
# flexmix_trajectories.csv (each group's expected outcome at each time and its prior).
# Scaled time s = (time - 5.5) / 4.5 as in the Python kernel; the group trajectories do not
# depend on how the polynomial is parametrised.
suppressPackageStartupMessages(library(flexmix))
d <- read.csv("trajectories_data.csv")
d$s <- (d$time - 5.5) / 4.5
d$failures <- 4 - d$successes
ctrl <- list(tolerance = 1e-14, iter.max = 50000, minprior = 0)
times <- data.frame(time = 1:10, s = ((1:10) - 5.5) / 4.5)

# Starting partitions: 20 random ones (flexmix's default start), 20 k-means partitions of
# the persons' square-root outcomes and one Ward clustering of the outcomes (missing times
# filled with the person's mean). Random and k-means starts alone stop at a lower optimum
# for binomial K = 2 (-3780.60); the Ward start reaches the maximum (-3708.05).
wide_outcomes <- function(column, transform) {
  wide <- tapply(transform(d[[column]]), list(d$id, d$time), mean)
  fill <- rowMeans(wide, na.rm = TRUE)
  for (j in seq_len(ncol(wide))) wide[is.na(wide[, j]), j] <- fill[is.na(wide[, j])]
  wide
}
kmeans_starts <- function(column, k, reps) {
  wide <- wide_outcomes(column, sqrt)
  starts <- lapply(seq_len(reps), function(r) {
    km <- kmeans(wide, centers = k, nstart = 1, iter.max = 50)
    km$cluster[as.character(d$id)]
  })
  ward <- cutree(hclust(dist(wide_outcomes(column, identity)), "ward.D2"), k)
  c(starts, list(ward[as.character(d$id)]))
}

fit_best <- function(formula, family, k, column) {
  set.seed(2020 + k)
  best <- NULL
  starts <- c(rep(list(NULL), 20), if (k > 1) kmeans_starts(column, k, 20))
  for (cl in starts) {
    f <- try(if (is.null(cl)) {
      flexmix(formula, data = d, k = k, model = FLXMRglm(family = family), control = ctrl)
    } else {
      flexmix(formula, data = d, cluster = cl, model = FLXMRglm(family = family),
              control = ctrl)
    }, silent = TRUE)
    if (inherits(f, "try-error") || f@k != k) next
    if (is.null(best) || logLik(f) > logLik(best)) best <- f
  }
  best
}

fits <- list()
curves <- list()
specs <- list(
  list(family = "poisson", formula = count ~ s + I(s^2) | id, ks = 1:4, column = "count"),
  list(family = "binomial", formula = cbind(successes, failures) ~ s + I(s^2) | id, ks = 1:3,
       column = "successes")
)
for (spec in specs) {
  for (k in spec$ks) {
    f <- fit_best(spec$formula, spec$family, k, spec$column)
    fits[[length(fits) + 1]] <- data.frame(
      family = spec$family, groups = k, loglik = as.numeric(logLik(f)),
      df = attr(logLik(f), "df"), iterations = f@iter, converged = f@converged)
    co <- parameters(f)
    for (j in 1:k) {
      eta <- co[1, j] + co[2, j] * times$s + co[3, j] * times$s^2
      mu <- if (spec$family == "poisson") exp(eta) else 4 * plogis(eta)
      curves[[length(curves) + 1]] <- data.frame(
        family = spec$family, groups = k, component = j, time = times$time, mean = mu,
        prior = prior(f)[j])
    }
  }
}
options(digits = 15)
write.csv(do.call(rbind, fits), "flexmix_fits.csv", row.names = FALSE)
write.csv(do.call(rbind, curves), "flexmix_trajectories.csv", row.names = FALSE)
