using Npgsql;
using NpgsqlTypes;

namespace Aggregation.Storage;

/// <summary>
/// An approval as stored: the unit is its published code plus the first day it was in force (codes
/// were reused); <see cref="Level"/> 1 is district, 2 province. Withdrawn when <see cref="WithdrawnAt"/> is set.
/// </summary>
public sealed record ApprovalRow(
    long Id,
    string Tenant,
    string ProgrammeId,
    string DataSet,
    string UnitCode,
    DateOnly UnitValidFrom,
    string Period,
    short Level,
    string ApprovedBy,
    DateTimeOffset ApprovedAt,
    string Comment,
    string? WithdrawnBy = null,
    DateTimeOffset? WithdrawnAt = null,
    string? WithdrawalReason = null)
{
    public bool InForce => WithdrawnAt is null;
}

/// <summary>
/// Approvals in PostgreSQL (table <c>approvals</c>). Approving and withdrawing each run in one
/// transaction with the change's audit record, under a per-tenant advisory lock, after the caller's
/// check of the tenant's approvals in force as read inside that transaction: so two silos cannot
/// both pass an ordering rule (a province approval and the withdrawal of the district approval under
/// it) that only one of them may.
/// </summary>
public sealed class PostgresApprovalStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "approval_id, tenant_id, programme_id, data_set, unit_code, unit_valid_from, period, level, approved_by, approved_at, comment, withdrawn_by, withdrawn_at, withdrawal_reason";

    /// <summary>Every approval, withdrawn ones included (approvals are few: a handful per unit and half-year).</summary>
    public async Task<IReadOnlyList<ApprovalRow>> LoadAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM approvals ORDER BY approval_id");
            return await ReadAsync(command, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new LedgerUnavailableException("Approvals cannot be read: " + ex.Message, ex);
        }
    }

    /// <summary>
    /// Records <paramref name="approval"/> (its id and time are the store's) with its audit record,
    /// once <paramref name="check"/> has accepted the tenant's approvals in force as they stand;
    /// whatever <paramref name="check"/> throws leaves everything as it was.
    /// </summary>
    /// <returns>The recorded approval.</returns>
    public async Task<ApprovalRow> ApproveAsync(ApprovalRow approval, Action<IReadOnlyList<ApprovalRow>> check, Func<ApprovalRow, AuditRecord> audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(audit);
        return await InTenantTransactionAsync(approval.Tenant, check, async (connection, transaction) =>
        {
            await using var insert = new NpgsqlCommand($"""
                INSERT INTO approvals (tenant_id, programme_id, data_set, unit_code, unit_valid_from, period, level, approved_by, comment)
                VALUES (@tenant, @programme, @dataSet, @unit, @validFrom, @period, @level, @by, @comment)
                RETURNING {Columns}
                """, connection, transaction);
            insert.Parameters.AddWithValue("tenant", approval.Tenant);
            insert.Parameters.AddWithValue("programme", approval.ProgrammeId);
            insert.Parameters.AddWithValue("dataSet", approval.DataSet);
            insert.Parameters.AddWithValue("unit", approval.UnitCode);
            insert.Parameters.AddWithValue("validFrom", NpgsqlDbType.Date, approval.UnitValidFrom);
            insert.Parameters.AddWithValue("period", approval.Period);
            insert.Parameters.AddWithValue("level", approval.Level);
            insert.Parameters.AddWithValue("by", approval.ApprovedBy);
            insert.Parameters.AddWithValue("comment", approval.Comment);
            var recorded = (await ReadAsync(insert, cancellationToken))[0];
            await PostgresAuditTrail.InsertAsync(connection, transaction, [audit(recorded)], cancellationToken);
            return recorded;
        }, cancellationToken);
    }

    /// <summary>
    /// Withdraws approval <paramref name="id"/> of <paramref name="tenant"/> with its audit record,
    /// once <paramref name="check"/> has accepted the tenant's approvals as they stand (it sees the
    /// one to withdraw, withdrawn or not, and throws to refuse).
    /// </summary>
    public async Task<ApprovalRow> WithdrawAsync(string tenant, long id, string withdrawnBy, string reason, Action<IReadOnlyList<ApprovalRow>> check, Func<ApprovalRow, AuditRecord> audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(audit);
        return await InTenantTransactionAsync(tenant, check, async (connection, transaction) =>
        {
            await using var update = new NpgsqlCommand($"""
                UPDATE approvals SET withdrawn_by = @by, withdrawn_at = now(), withdrawal_reason = @reason
                WHERE approval_id = @id AND tenant_id = @tenant AND withdrawn_at IS NULL
                RETURNING {Columns}
                """, connection, transaction);
            update.Parameters.AddWithValue("by", withdrawnBy);
            update.Parameters.AddWithValue("reason", reason);
            update.Parameters.AddWithValue("id", id);
            update.Parameters.AddWithValue("tenant", tenant);
            var rows = await ReadAsync(update, cancellationToken);
            if (rows.Count == 0)
            {
                throw new InvalidOperationException($"Approval {id} of tenant {tenant} was not in force; the check should have refused its withdrawal.");
            }

            await PostgresAuditTrail.InsertAsync(connection, transaction, [audit(rows[0])], cancellationToken);
            return rows[0];
        }, cancellationToken);
    }

    private async Task<ApprovalRow> InTenantTransactionAsync(string tenant, Action<IReadOnlyList<ApprovalRow>> check, Func<NpgsqlConnection, NpgsqlTransaction, Task<ApprovalRow>> change, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('approvals|' || @tenant, 0))", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("tenant", tenant);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var read = new NpgsqlCommand($"SELECT {Columns} FROM approvals WHERE tenant_id = @tenant ORDER BY approval_id", connection, transaction);
            read.Parameters.AddWithValue("tenant", tenant);
            var before = await ReadAsync(read, cancellationToken);
            check(before);
            var changed = await change(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return changed;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new LedgerUnavailableException("The approval could not be recorded: " + ex.Message, ex);
        }
    }

    private static async Task<List<ApprovalRow>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<ApprovalRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ApprovalRow(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetFieldValue<DateOnly>(5),
                reader.GetString(6),
                reader.GetInt16(7),
                reader.GetString(8),
                new DateTimeOffset(reader.GetDateTime(9), TimeSpan.Zero),
                reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.IsDBNull(12) ? null : new DateTimeOffset(reader.GetDateTime(12), TimeSpan.Zero),
                reader.IsDBNull(13) ? null : reader.GetString(13)));
        }

        return rows;
    }
}
